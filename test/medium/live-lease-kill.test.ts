// Two camera worker processes on the real Redis share six simulated cameras; one is killed with SIGKILL. The survivor
// must watch all six within the TTL-based bound, and the recorded intervals must show no camera watched by both at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

const TTL_MS = 2000;
const EVERY_MS = 600;
const SAFETY_MS = 400;
const CAMERAS = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
const CHILD = join(import.meta.dirname, 'live-lease-child.ts');

interface Line {
  worker: string;
  ev: 'ready' | 'start' | 'stop' | 'lease' | 'exit';
  camera?: string;
  atMs?: number;
  untilMs?: number;
}

interface Worker {
  name: string;
  proc: ChildProcess;
  lines: Line[];
  exited: Promise<void>;
}

const workers: Worker[] = [];
let prefix = '';

function spawnWorker(name: string): Worker {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, name, prefix, String(TTL_MS), String(EVERY_MS), String(SAFETY_MS), CAMERAS.join(',')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Line[] = [];
  let buffer = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      lines.push(JSON.parse(buffer.slice(0, nl)) as Line);
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const w = { name, proc, lines, exited };
  workers.push(w);
  return w;
}

/** Cameras a worker watches now, from its start/stop lines. */
function watching(w: Worker): Set<string> {
  const now = new Set<string>();
  for (const l of w.lines) {
    if (l.ev === 'start') now.add(l.camera as string);
    if (l.ev === 'stop') now.delete(l.camera as string);
  }
  return now;
}

interface Interval {
  worker: string;
  camera: string;
  startMs: number;
  endMs: number;
}

/**
 * Watch intervals from the lines. An interval with no stop line ends at `openEndMs(camera)`: for the survivor, the end
 * of the test. For the killed worker, SIGKILL left it no chance to print a stop, so its end is taken as the last lease
 * deadline it printed (the take or renewal time + TTL - safety margin). That is an upper bound on when it could have
 * been watching: alive past that deadline without renewing, its distributor would have stopped the watch and printed
 * the stop (pipes are written synchronously); dead, it watched nothing. Redis keeps the lease at least until that
 * sent time + TTL, later than the deadline, so a survivor that starts before the deadline took a lease it could not have.
 */
function intervals(w: Worker, openEndMs: (camera: string) => number): Interval[] {
  const out: Interval[] = [];
  const open = new Map<string, number>();
  for (const l of w.lines) {
    if (l.ev === 'start') open.set(l.camera as string, l.atMs as number);
    if (l.ev === 'stop') {
      out.push({ worker: w.name, camera: l.camera as string, startMs: open.get(l.camera as string) as number, endMs: l.atMs as number });
      open.delete(l.camera as string);
    }
  }
  for (const [camera, startMs] of open) out.push({ worker: w.name, camera, startMs, endMs: openEndMs(camera) });
  return out;
}

async function until(what: string, test: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now();
}

afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.proc.exitCode === null && w.proc.signalCode === null) {
      w.proc.kill('SIGTERM');
      await Promise.race([w.exited, new Promise((r) => setTimeout(r, 5000))]);
      if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    }
  }
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('camera leases across processes', () => {
  it('after kill -9 of one of two workers, the other watches all six cameras within the bound, none by both at once', async () => {
    prefix = `sopwatch:test:live-kill:${randomBytes(4).toString('hex')}:`;
    const a = spawnWorker('worker-a');
    const b = spawnWorker('worker-b');
    await until('a 3/3 split', () => watching(a).size === 3 && watching(b).size === 3, 20_000);
    expect(new Set([...watching(a), ...watching(b)]).size).toBe(6);
    // Let a few renewals go by so the killed worker has printed lease deadlines after its takes.
    await new Promise((r) => setTimeout(r, 2 * EVERY_MS));
    const victimCameras = [...watching(a)];

    const killedMs = Date.now();
    a.proc.kill('SIGKILL');
    await a.exited;
    const allMs = await until('worker-b watches all six', () => watching(b).size === 6, TTL_MS + 4 * EVERY_MS + 4000);
    // The bound: the lease expires at most one TTL after the kill; the survivor needs one tick to see the camera free
    // and one to take it even above its share (the dead worker stays in the roll-call up to a TTL), plus slack.
    expect(allMs - killedMs).toBeLessThanOrEqual(TTL_MS + 2 * EVERY_MS + 1500);
    // And not before the leases could expire: the survivor did not steal them.
    const taken = b.lines.filter((l) => l.ev === 'start' && victimCameras.includes(l.camera as string) && (l.atMs as number) >= killedMs);
    expect(taken.map((l) => l.camera).sort()).toEqual(victimCameras.sort());

    const lastDeadline = (camera: string): number =>
      Math.max(...a.lines.filter((l) => l.ev === 'lease' && l.camera === camera).map((l) => l.untilMs as number));
    const all = [...intervals(a, lastDeadline), ...intervals(b, () => Date.now())];
    for (const camera of CAMERAS) {
      const list = all.filter((i) => i.camera === camera);
      for (const x of list) {
        for (const y of list) {
          if (x.worker >= y.worker) continue;
          const overlap = x.startMs < y.endMs && y.startMs < x.endMs;
          expect(overlap, `${camera}: ${x.worker} [${x.startMs}, ${x.endMs}] and ${y.worker} [${y.startMs}, ${y.endMs}]`).toBe(false);
        }
      }
    }
    // Every camera the killed worker had was in a lease it printed (else its interval would have no bound).
    for (const camera of victimCameras) expect(Number.isFinite(lastDeadline(camera))).toBe(true);
  }, 60_000);
});
