// Evidence from a camera's main stream: decides whether a camera has a main stream worth recording (one larger than
// the stream the detector watches, or the one `mainRtspUrl` names), and keeps a short recording of it on disk without
// decoding it (ingester/main-stream-recorder.ts). Keyframes are decoded from it only when a violation's evidence is written.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCameraUri } from '../ingester/camera-uri.ts';
import { MainStreamRecorder, type MainFrame, type RecorderStats } from '../ingester/main-stream-recorder.ts';
import { OnvifRepository, pickLowResProfile, pickMainProfile } from '../ingester/onvif.repository.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import { isAlive } from '../core/storage/dir-lock.ts';
import type { CameraConfig } from './camera-config.ts';

/** Pictures of the main stream at a wanted time, for evidence; `unused` when the camera has no larger stream to record. */
export interface MainStream {
  frameAt(tMs: number): Promise<MainFrame & { unused?: boolean }>;
}

export interface MainEvidenceOptions {
  /** Where segments go: `<dir>/<camera id>`; default the system's temporary folder. */
  dir?: string;
  windowMs: number;
  maxBytes: number;
  outbound?: OutboundPolicy;
  /** A problem of the recording, redacted, once per new reason (for the server log). */
  onProblem?: (message: string) => void;
  /** Pictures of the main stream are scaled down to this width. Default 1920. */
  maxWidth?: number;
  segmentMs?: number;
  backoffMs?: number;
}

/** While a camera has no larger main stream, ONVIF is asked again this rarely. */
const RECHECK_MS = 10 * 60_000;

export class MainEvidence implements MainStream {
  private readonly recorder: MainStreamRecorder;
  /** Why nothing is recorded although nothing failed (no larger profile). */
  private idle: string | undefined;
  private lastProblem: string | undefined;
  private readonly root: string;

  constructor(private readonly cam: CameraConfig, password: string | undefined, private readonly o: MainEvidenceOptions) {
    const creds = { ...(cam.username === undefined ? {} : { username: cam.username }), ...(password === undefined ? {} : { password }) };
    const policy = o.outbound === undefined ? {} : { policy: o.outbound };
    this.root = o.dir ?? join(tmpdir(), 'sopwatch-main');
    this.recorder = new MainStreamRecorder({
      cameraId: cam.id,
      url: () => this.url(password),
      dir: join(this.root, `${process.pid}-${cam.id}`),
      windowMs: o.windowMs,
      maxBytes: o.maxBytes,
      ...(o.segmentMs === undefined ? {} : { segmentMs: o.segmentMs }),
      ...(o.backoffMs === undefined ? {} : { backoffMs: o.backoffMs }),
      idleRecheckMs: RECHECK_MS,
      ...creds,
      ...policy,
      onProblem: (message) => {
        if (message === this.lastProblem) return;
        this.lastProblem = message;
        o.onProblem?.(message);
      },
    });
  }

  async start(): Promise<void> {
    await sweepDead(this.root);
    await this.recorder.start();
  }

  async stop(): Promise<void> {
    await this.recorder.stop();
  }

  stats(): RecorderStats & { idle?: string } {
    return { ...this.recorder.stats(), ...(this.idle === undefined ? {} : { idle: this.idle }) };
  }

  get pid(): number | undefined {
    return this.recorder.pid;
  }

  async frameAt(tMs: number): Promise<MainFrame & { unused?: boolean }> {
    if (this.idle !== undefined) return { ok: false, reason: this.idle, unused: true };
    return this.recorder.frameAt(tMs, this.o.maxWidth ?? 1920);
  }

  /** The main stream's URL, or undefined when the detection stream is already the largest (nothing to record). */
  private async url(password: string | undefined): Promise<string | undefined> {
    const cam = this.cam;
    if (cam.mainRtspUrl !== undefined) return checkCameraUri(cam.mainRtspUrl, { host: cam.host, ports: cam.rtspPorts, schemes: ['rtsp', 'rtsps'] }, `camera ${cam.id} mainRtspUrl`).toString();
    const repo = new OnvifRepository({
      cameraId: cam.id, host: cam.host, port: cam.onvifPort, auth: cam.auth, rtspPorts: cam.rtspPorts,
      ...(cam.username === undefined ? {} : { username: cam.username }), ...(password === undefined ? {} : { password }),
      ...(this.o.outbound === undefined ? {} : { policy: this.o.outbound }),
    });
    const profiles = await repo.profiles();
    const detection = cam.profile === undefined ? pickLowResProfile(profiles, Math.min(cam.maxWidth, 640)) : profiles.find((p) => p.token === cam.profile);
    const main = pickMainProfile(profiles);
    if (main === undefined || detection === undefined || main.token === detection.token || (main.width ?? 0) <= (detection.width ?? 0)) {
      this.idle = `no main stream larger than the detection stream (${detection?.width ?? '?'} px wide)`;
      return undefined;
    }
    this.idle = undefined;
    return repo.streamUri(main.token);
  }
}

/**
 * A main-stream recorder for the camera, or undefined when its evidence is to come from the detection stream: turned
 * off, or a camera given by its URLs (`rtspUrl`, or snapshots from `snapshotUrl`) whose ONVIF is never asked, unless
 * `mainRtspUrl` names its main stream.
 */
export function mainEvidenceFor(cam: CameraConfig, password: string | undefined, o: MainEvidenceOptions): MainEvidence | undefined {
  if (cam.evidenceStream === 'detection') return undefined;
  const onvifUsed = cam.rtspUrl === undefined && !(cam.source === 'snapshot' && cam.snapshotUrl !== undefined);
  return cam.mainRtspUrl !== undefined || onvifUsed ? new MainEvidence(cam, password, o) : undefined;
}

/** Recordings left by processes that are gone (a crash): unblurred video is not kept longer than its window. */
export async function sweepDead(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
  }
}
