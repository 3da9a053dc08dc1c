// How frames are got from one configured camera, decided again before every (re)start: ONVIF is resolved with a
// new Cam each time; in `auto` mode a stream that keeps failing falls back to snapshot polling, and RTSP is retried later.
import { CameraAnswerError } from '../ingester/camera-errors.ts';
import type { SessionSummary } from '../ingester/camera-supervisor.ts';
import { checkCameraUri } from '../ingester/camera-uri.ts';
import type { FrameSource } from '../ingester/frame-session.ts';
import { OnvifRepository, type CameraMedia } from '../ingester/onvif.repository.ts';
import { RtspFrameSource } from '../ingester/rtsp-frame-source.ts';
import { SnapshotFrameSource } from '../ingester/snapshot-frame-source.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import type { CameraConfig } from './camera-config.ts';

/** RTSP sessions in a row without a frame before `auto` tries snapshots. */
const RTSP_FAILURES_BEFORE_FALLBACK = 3;
/** Snapshot sessions before `auto` gives RTSP another chance. */
const SNAPSHOT_SESSIONS_BEFORE_RETRY = 5;

export interface SourceHooks {
  /** The camera's clock offset, each time ONVIF is resolved. */
  onClockSkew?: (ms: number) => void;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  outbound?: OutboundPolicy;
}

export function cameraSourceFactory(cam: CameraConfig, password: string | undefined, hooks: SourceHooks = {}): (previous?: SessionSummary) => Promise<FrameSource> {
  let rtspFailures = 0;
  let snapshotSessions = 0;
  const snapshotPorts = cam.snapshotPorts.length > 0 ? cam.snapshotPorts : [cam.onvifPort];
  const creds = { ...(cam.username === undefined ? {} : { username: cam.username }), ...(password === undefined ? {} : { password }) };
  const policy = hooks.outbound === undefined ? {} : { policy: hooks.outbound };

  // A new repository, hence a new Cam, on every restart: the camera may have rebooted with another clock.
  function repository(): OnvifRepository {
    return new OnvifRepository({
      cameraId: cam.id,
      host: cam.host,
      port: cam.onvifPort,
      auth: cam.auth,
      rtspPorts: cam.rtspPorts,
      snapshotPorts,
      ...creds,
      ...policy,
    });
  }
  const profileOptions = { ...(cam.profile === undefined ? {} : { profileToken: cam.profile }), minWidth: Math.min(cam.maxWidth, 640) };

  async function resolveOnvif(): Promise<CameraMedia> {
    const media = await repository().resolveMedia(profileOptions);
    hooks.onClockSkew?.(media.clockSkewMs);
    return media;
  }

  async function onvifSnapshotUri(): Promise<string | undefined> {
    const repo = repository();
    const profile = await repo.resolveProfile(profileOptions);
    hooks.onClockSkew?.(repo.clockSkewMs());
    return repo.snapshotUri(profile.token);
  }

  async function rtsp(): Promise<FrameSource> {
    const url = cam.rtspUrl !== undefined ? checkCameraUri(cam.rtspUrl, { host: cam.host, ports: cam.rtspPorts, schemes: ['rtsp', 'rtsps'] }, `camera ${cam.id} rtspUrl`).toString() : (await resolveOnvif()).rtspUri;
    return new RtspFrameSource({ url, fps: cam.fps, maxWidth: cam.maxWidth, transport: cam.transport, ...creds, ...policy });
  }

  async function snapshot(): Promise<FrameSource> {
    let url = cam.snapshotUrl !== undefined ? checkCameraUri(cam.snapshotUrl, { host: cam.host, ports: snapshotPorts, schemes: ['http', 'https'] }, `camera ${cam.id} snapshotUrl`).toString() : undefined;
    url ??= await onvifSnapshotUri();
    if (url === undefined) throw new CameraAnswerError(`camera ${cam.id}: no snapshot URL (none configured, none from ONVIF)`);
    return new SnapshotFrameSource({ url, fps: Math.min(cam.fps, 5), ...creds, ...policy });
  }

  return async (previous) => {
    switch (cam.source) {
      case 'rtsp':
        return rtsp();
      case 'snapshot':
        return snapshot();
      case 'auto':
        break;
    }
    if (previous?.kind === 'rtsp') rtspFailures = previous.frames > 0 ? 0 : rtspFailures + 1;
    if (previous?.kind === 'snapshot') snapshotSessions += 1;
    const useSnapshot = rtspFailures >= RTSP_FAILURES_BEFORE_FALLBACK && snapshotSessions < SNAPSHOT_SESSIONS_BEFORE_RETRY;
    if (!useSnapshot) {
      if (snapshotSessions >= SNAPSHOT_SESSIONS_BEFORE_RETRY) {
        snapshotSessions = 0;
        rtspFailures = 0;
      }
      return rtsp();
    }
    try {
      return await snapshot();
    } catch {
      // No snapshot either: keep trying the stream.
      rtspFailures = 0;
      return rtsp();
    }
  };
}
