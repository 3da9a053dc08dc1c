// What a camera's last error means for a store manager: a coarse problem and what to do about it. The low-level
// text (addresses, ports, socket codes, HTTP statuses) stays in the server's log and database; the API shows this.

export type CameraProblem = 'unreachable' | 'wrong_password' | 'not_a_camera' | 'address_not_allowed';

const RULES: Array<[CameraProblem, RegExp]> = [
  ['address_not_allowed', /loopback address|link-local|unspecified address|multicast address|broadcast address|reserved address|outside the camera networks|server's own addresses|is a private address|points at another host|not one configured for this camera|scheme "[^"]*" refused|only Basic authentication/i],
  ['wrong_password', /credentials|authenticat|unauthori[sz]ed|not ?authori[sz]ed|\b401\b|\b403\b/i],
  ['not_a_camera', /not a whole JPEG|HTTP \d{3}|profile|stream URI|snapshot URL|no URI|unparsable URI|RTSP protocol|unreadable picture|invalid data|ffmpeg exited|larger than/i],
];

/** The problem a (redacted) error text points at; anything not recognised reads as unreachable. */
export function cameraProblem(lastError: string): CameraProblem {
  for (const [problem, re] of RULES) if (re.test(lastError)) return problem;
  return 'unreachable';
}

/** What a manager should do, in one sentence (the dashboard translates by problem; this is the API's English). */
export const PROBLEM_ADVICE: Record<CameraProblem, string> = {
  unreachable: 'The camera does not answer: check that it is powered on and connected to the store network.',
  wrong_password: 'The camera refused the user name or password: enter its current password in the stream settings.',
  not_a_camera: 'Something answers at this address, but not as a camera sopwatch can read: check the address, ports and stream URL.',
  address_not_allowed: 'This address is not allowed for cameras: use the camera\'s address on the store network, or ask the operator to add its network.',
};
