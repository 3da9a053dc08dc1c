// "Test connection" for a store camera: one fresh picture through the camera's stored settings and sealed password,
// within a bounded time, or the problem in a manager's terms (unreachable, wrong password, not a camera, not allowed).
// The picture is kept only once its faces are blurred: it becomes the camera's snapshot, the zone editor's backdrop.
import type { FaceFinder } from '../analysis/face-finder.ts';
import { OutboundRefusedError, type OutboundPolicy } from '../core/net-policy.ts';
import { encodeJpeg, FaceBlurError, writeFileAtomic } from '../evidence/index.ts';
import { cameraProblem, PROBLEM_ADVICE, type CameraProblem } from '../ingester/camera-problem.ts';
import { decodeLiveFrame } from '../ingester/live-frame.ts';
import { redactError } from '../ingester/redact.ts';
import { liveConfigFromObject, type CameraConfig } from '../live/camera-config.ts';
import { cameraSourceFactory } from '../live/camera-source.ts';

export type ConnectionResult =
  | { ok: true; jpeg: Buffer; source: string; ms: number }
  | { ok: false; problem: CameraProblem | 'no_address' | 'faces'; message: string; detail: string };

/** The camera's settings as the worker would use them (the stored keys, its host; the id is the camera's name). */
export function cameraConfigOf(row: { name: string; host: string; tags?: string[]; config: Record<string, unknown> }): CameraConfig {
  const { passwordEnv: _never, ...settings } = row.config;
  const [config] = liveConfigFromObject({ cameras: [{ ...settings, id: 'camera', host: row.host, tags: row.tags ?? [] }] }).cameras;
  if (config === undefined) throw new Error('no camera');
  return { ...config, id: row.name };
}

/** The first whole picture of one session of `cam`'s source, or why there was none within `timeoutMs`. */
async function firstPicture(cam: CameraConfig, password: string | undefined, policy: OutboundPolicy, timeoutMs: number): Promise<{ jpeg: Buffer; source: string }> {
  const source = await cameraSourceFactory(cam, password, { outbound: policy })();
  return new Promise((resolve, reject) => {
    let done = false;
    const session = source.open({
      onFrame: (jpeg) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        void session.stop().then(() => resolve({ jpeg, source: source.description }));
      },
    });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      void session.stop().then(() => reject(new Error(`${source.description}: no picture within ${Math.round(timeoutMs / 1000)} s (connection timed out)`)));
    }, timeoutMs);
    void session.ended.then((end) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${source.description}: ${end.reason}`));
    });
  });
}

/** Tries the camera once (`auto`: its stream, then its snapshot URL); never throws, never returns the password. */
export async function testConnection(o: {
  cam: CameraConfig; password: string | undefined; policy: OutboundPolicy; timeoutMs: number;
}): Promise<ConnectionResult> {
  const began = Date.now();
  const attempts: CameraConfig[] = o.cam.source === 'auto' ? [{ ...o.cam, source: 'rtsp' }, { ...o.cam, source: 'snapshot' }] : [o.cam];
  let last: unknown;
  for (const cam of attempts) {
    const left = o.timeoutMs - (Date.now() - began);
    if (left < 500) break;
    try {
      const got = await firstPicture(cam, o.password, o.policy, left);
      return { ok: true, jpeg: got.jpeg, source: got.source, ms: Date.now() - began };
    } catch (err) {
      last = err;
      // A refused address is refused whatever the source: no second try.
      if (err instanceof OutboundRefusedError) break;
    }
  }
  const detail = redactError(last ?? new Error('no picture'), [o.password]);
  const problem = last instanceof OutboundRefusedError ? 'address_not_allowed' : cameraProblem(detail);
  return { ok: false, problem, message: PROBLEM_ADVICE[problem], detail };
}

/** The picture with faces blurred, checked on the written bytes; undefined when a face could not be blurred. */
export async function cleanSnapshot(faces: FaceFinder, jpeg: Buffer, outPath: string, cameraId: string): Promise<Buffer | undefined> {
  try {
    const frame = await faces.scrub(await decodeLiveFrame({ cameraId, index: 0, tMs: Date.now(), jpeg }, 1280));
    const clean = await faces.renderClean((extra) => encodeJpeg(frame, { quality: 80, faceBoxes: extra }));
    await writeFileAtomic(outPath, clean);
    return clean;
  } catch (err) {
    if (err instanceof FaceBlurError) return undefined;
    throw err;
  }
}
