// Stream settings may only aim at a camera the outbound policy allows: the host is resolved and checked when saved,
// and a refusal is a 400 that names the rule. The worker checks again at every connection (names can change).
import { OutboundRefusedError, resolveChecked, type OutboundPolicy } from '../core/net-policy.ts';
import { HttpError } from './http-errors.ts';

/** Throws a 400 (code `outbound_refused`, details.rule) when the camera host is refused; a name that does not resolve here passes. */
export async function checkStreamHost(host: string, policy: OutboundPolicy): Promise<void> {
  try {
    await resolveChecked(policy, host);
  } catch (err) {
    if (!(err instanceof OutboundRefusedError)) throw err;
    // The API may not see the cameras' DNS (split roles): the worker's own check decides then.
    if (err.rule === 'unresolvable') return;
    throw new HttpError(400, 'outbound_refused', `host refused by the rule "${err.rule}": ${err.message}`, { details: { rule: err.rule } });
  }
}
