// One picture decoded from a recorded MPEG-TS segment of a camera's main stream, at a wanted server time: decoding starts
// at the segment's key frame and stops at the first frame at or after that time; nothing but the file is read.
import { spawn } from 'node:child_process';
import { stderrGist } from './run-bounded.ts';

/**
 * A decoded picture, or why there is none; `empty` when the segment holds no picture at or after the wanted time (not
 * yet written, or the time falls after its last picture: the next picture then opens the next segment).
 */
export type MainFrame = { ok: true; jpeg: Buffer; tMs: number } | { ok: false; reason: string; empty?: true };

/** The frame nearest a wanted time must be at most this far from it to stand for it. */
export const MAX_FRAME_DISTANCE_MS = 300;
/** Frames this much before the wanted time stand for it too: half a frame interval of a slow camera. */
const LOOK_BACK_MS = 50;
/** A decoded keyframe at most this large (a 4K JPEG is a few MB). */
const MAX_JPEG_BYTES = 16 * 1024 * 1024;
const EXTRACT_TIMEOUT_MS = 10_000;

/**
 * Decodes the picture at `tMs` from one segment: decoding starts at the segment's key frame and stops at the first frame
 * at or after `lookBackMs` before the wanted time (showinfo tells which one it was).
 */
export function extractFrame(ffmpeg: string, path: string, segmentStartMs: number, tMs: number, maxWidth: number, lookBackMs = LOOK_BACK_MS): Promise<MainFrame> {
  const rel = Math.max(0, (tMs - segmentStartMs - lookBackMs) / 1000);
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'info', '-protocol_whitelist', 'file', '-f', 'mpegts', '-i', path,
    '-an', '-vf', `select='gte(t,${rel.toFixed(3)})',showinfo,scale=w='min(${maxWidth},iw)':h=-2`,
    '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '2', 'pipe:1',
  ];
  return new Promise((resolve) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `decoding took longer than ${EXTRACT_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, EXTRACT_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes > MAX_JPEG_BYTES) {
        failure = 'the decoded picture was too large';
        child.kill('SIGKILL');
      } else chunks.push(c);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => {
      stderr = (stderr + t).slice(-16_384);
    });
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      clearTimeout(timer);
      resolve({ ok: false, reason: `cannot run ffmpeg: ${err.message}` });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(chunks);
      const pts = /pts_time:\s*(-?[\d.]+)/.exec(stderr);
      if (failure !== undefined) return resolve({ ok: false, reason: `main-stream segment: ${failure}` });
      if (code === 0 && jpeg.length === 0) return resolve({ ok: false, reason: 'main-stream segment has no picture at that time (not yet written)', empty: true });
      if (code !== 0 || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) {
        return resolve({ ok: false, reason: `main-stream segment has no picture at that time (${code === 0 ? 'not a picture' : stderrGist(stderr.replace(/^.*showinfo.*$/gm, ''))})` });
      }
      const frameMs = pts === null ? tMs : Math.round(segmentStartMs + Number(pts[1]) * 1000);
      if (Math.abs(frameMs - tMs) > MAX_FRAME_DISTANCE_MS) return resolve({ ok: false, reason: `the nearest main-stream picture is ${frameMs - tMs} ms from the wanted time` });
      resolve({ ok: true, jpeg, tMs: frameMs });
    });
  });
}
