// Upload to first alert (issue 11): a real `sopwatch serve` on the embedded defaults (PGlite, in-process queue, roles
// api+worker) on 127.0.0.1; a clip is uploaded through the multipart API and the violations API is polled every 100 ms
// until the clip's first violation is readable. Per run: the upload request, when the clip job started (the clip's
// startedAt), the first alert, the clip done, and the server's CPU seconds over that span (/proc/<pid>/stat: its
// threads, and the ffmpeg children it reaped). Clips: the generated demo clip (a too-short sink visit closes ~10 s in)
// with the demo SOP, and the public footage with station-visit.yaml (the first too-short visit ends ~19 s in).
// With --tus-seconds N the clip goes up as the dashboard sends it (tus), in 8 chunks spread over N s: a realistic upload
// time, from the creation (t0) to the last chunk; the worker may load its models meanwhile (detectors.warm).
// Run: npx tsx bench/first-alert.bench.ts [--runs 3] [--clips demo,real] [--settle 0] [--restart] [--tus-seconds 5]
// (results go in BENCHMARKS.md)
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSampleClip, sampleSop, SAMPLE_CAMERA_ID } from '../services/demo/index.ts';
import { ApiClient } from '../test/chaos/helpers/api-client.ts';
import { addOwner, ROOT, startServe, type ServeProcess } from '../test/chaos/helpers/serve-process.ts';
import { sleep } from '../test/chaos/helpers/wait.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    clips: { type: 'string', default: 'demo,real' },
    // Seconds to wait after serve starts before the first upload (0: upload at once, as a user who just started it).
    settle: { type: 'string', default: '0' },
    // Then stop serve, start it again on the same data and measure one more upload of each clip.
    restart: { type: 'boolean', default: false },
    // Upload by tus over this many seconds (0: one multipart request, as fast as the loopback allows).
    'tus-seconds': { type: 'string', default: '0' },
  },
});
const runs = Math.min(Math.max(Math.floor(Number(values.runs)), 1), 20);
const settleMs = Math.min(Math.max(Number(values.settle), 0), 120) * 1000;
const restart = values.restart === true;
const tusMs = Math.min(Math.max(Number(values['tus-seconds']), 0), 120) * 1000;
const POLL_MS = 100;
const DEADLINE_MS = 600_000;
const REAL_CLIP = join(ROOT, '../shared/media/intel_one-by-one-person-detection.mp4');
const REAL_SOP = join(ROOT, 'test/fixtures/sop/station-visit.yaml');
const REAL_CAMERA = 'station-1';
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The process's own CPU (all its threads) and that of the children it has waited for (ffmpeg), in seconds. */
async function cpuOf(pid: number): Promise<{ own: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const at = (field: number): number => f[field - 3] ?? 0;
  return { own: (at(14) + at(15)) / TICK, children: (at(16) + at(17)) / TICK };
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

interface Clip { name: string; path: string; camera: string }
interface Row { clip: string; run: string; uploadS: number; startedS: number; firstAlertS: number; alertAtClipS: number; doneS: number; cpuToAlertS: number; cpuToDoneS: number; childCpuS: number; load: number }

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
const dir = await mkdtemp(join(tmpdir(), 'sopwatch-first-alert-'));
try {
  const wanted = (values.clips ?? '').split(',').filter((c) => c !== '');
  const clips: Clip[] = [];
  if (wanted.includes('demo')) clips.push({ name: 'demo', path: (await generateSampleClip(join(dir, 'demo.mp4'))).path, camera: SAMPLE_CAMERA_ID });
  if (wanted.includes('real')) {
    if (await exists(REAL_CLIP)) clips.push({ name: 'real', path: REAL_CLIP, camera: REAL_CAMERA });
    else console.log(`real footage skipped: ${REAL_CLIP} is absent`);
  }

  // Embedded defaults: no DATABASE_URL or REDIS_URL even if this shell has them.
  const vars = { SOPWATCH_DATA_DIR: join(dir, 'data'), DATABASE_URL: '', REDIS_URL: '', SOPWATCH_ROLES: 'api,worker' };
  const password = await addOwner(vars, 'owner@bench.test', 'Bench St');
  const cameraIds = new Map<string, string>();
  let storeId = '';
  let printed = false;

  /** One `serve` process: `runs` uploads of each clip, one after the other; the store is set up by the first session. */
  const session = async (label: (run: number) => string, count: number): Promise<void> => {
    const serve = await startServe('serve', vars);
    try {
      const base = serve.url ?? '';
      if (!base.startsWith('http://127.0.0.1:')) throw new Error(`serve listens on ${base}, not on loopback`);
      const client = new ApiClient(base, 120_000);
      await client.login('owner@bench.test', password);
      if (storeId === '') {
        storeId = (await client.call<Array<{ id: string }>>('GET', '/api/stores')).body[0]?.id ?? '';
        for (const clip of clips) {
          const cam = await client.call<{ id: string }>('POST', `/api/stores/${storeId}/cameras`, { name: clip.camera });
          if (cam.status !== 201) throw new Error(`camera ${clip.camera}: ${cam.status} ${JSON.stringify(cam.body)}`);
          cameraIds.set(clip.name, cam.body.id);
          const yaml = clip.name === 'demo' ? sampleSop() : await readFile(REAL_SOP, 'utf8');
          const sop = await client.call('POST', `/api/stores/${storeId}/sops`, { yaml });
          if (sop.status !== 201) throw new Error(`sop for ${clip.name}: ${sop.status} ${JSON.stringify(sop.body)}`);
        }
      }
      if (settleMs > 0) await sleep(settleMs);
      for (let run = 1; run <= count; run++) {
        for (const clip of clips) {
          const r = await measure(serve, client, clip, label(run));
          if (!printed) {
            printed = true;
            console.log('| clip | run | upload s | job started s | first alert s | alert ends at (clip s) | done s | server CPU s to alert | to done | ffmpeg CPU s | load (1 min) |');
            console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
          }
          const f = (n: number): string => n.toFixed(1);
          console.log(`| ${r.clip} | ${r.run} | ${r.uploadS.toFixed(2)} | ${f(r.startedS)} | ${f(r.firstAlertS)} | ${f(r.alertAtClipS)} | ${f(r.doneS)} | ${f(r.cpuToAlertS)} | ${f(r.cpuToDoneS)} | ${f(r.childCpuS)} | ${r.load.toFixed(2)} |`);
        }
      }
      console.log(`serve ${base}: resident ${(await rssMiB(serve.pid)).toFixed(0)} MiB when idle after its last clip`);
    } finally {
      await serve.kill('SIGTERM');
    }
  };

  const measure = async (serve: ServeProcess, client: ApiClient, clip: Clip, run: string): Promise<Row> => {
    const load = loadavg()[0] ?? 0;
    const cpu0 = await cpuOf(serve.pid);
    const t0 = Date.now();
    const cameraId = cameraIds.get(clip.name) ?? '';
    const up = tusMs > 0 ? await client.tusUpload(storeId, cameraId, clip.path, tusMs) : await client.upload(storeId, cameraId, clip.path);
    const uploadS = (Date.now() - t0) / 1000;
    const clipId = up.body.clip?.id;
    if (up.status !== (tusMs > 0 ? 204 : 202) || clipId === undefined) throw new Error(`upload ${clip.name}: ${up.status} ${JSON.stringify(up.body)}`);
    const violationsPath = `/api/violations?storeId=${storeId}&clipId=${encodeURIComponent(clipId)}`;
    let firstAlertS: number | undefined;
    let alertAtClipS = 0;
    let cpuToAlertS = 0;
    let doneS: number | undefined;
    let startedS = Number.NaN;
    while (doneS === undefined || firstAlertS === undefined) {
      if (Date.now() - t0 > DEADLINE_MS) throw new Error(`${clip.name}: no alert and done within ${DEADLINE_MS / 1000} s\n${serve.log()}`);
      if (firstAlertS === undefined) {
        const v = await client.call<Array<{ end: number | null }>>('GET', violationsPath);
        if (v.status === 200 && v.body.length > 0) {
          firstAlertS = (Date.now() - t0) / 1000;
          cpuToAlertS = (await cpuOf(serve.pid)).own - cpu0.own;
          alertAtClipS = Math.min(...v.body.map((x) => x.end ?? Infinity));
        }
      }
      if (doneS === undefined) {
        const c = await client.call<{ status: string; startedAt: string | null; error: string | null }>('GET', `/api/clips/${clipId}`);
        // The server's own clock (same machine): finer than this poll.
        if (c.body.startedAt !== null) startedS = (Date.parse(c.body.startedAt) - t0) / 1000;
        if (c.body.status === 'failed') throw new Error(`${clip.name}: analysis failed: ${c.body.error ?? ''}`);
        if (c.body.status === 'done') {
          doneS = (Date.now() - t0) / 1000;
          // A clip done without a violation will never get one.
          if (firstAlertS === undefined && (await client.call<unknown[]>('GET', violationsPath)).body.length === 0) {
            throw new Error(`${clip.name}: the clip was analysed and has no violation`);
          }
        }
      }
      await sleep(POLL_MS);
    }
    const cpu1 = await cpuOf(serve.pid);
    return {
      clip: clip.name, run, uploadS, startedS, firstAlertS, alertAtClipS, doneS, cpuToAlertS,
      cpuToDoneS: cpu1.own - cpu0.own, childCpuS: cpu1.children - cpu0.children, load,
    };
  };

  await session((run) => String(run), runs);
  // The first clip after a restart, on the same data directory (a worker may ready its models for the last clip's camera).
  if (restart) await session(() => 'after restart', 1);
  console.log(`load average (1 min) at the end: ${(loadavg()[0] ?? 0).toFixed(2)}; PGlite + in-process queue, SOPWATCH_DETECTOR_THREADS=${process.env.SOPWATCH_DETECTOR_THREADS ?? 'default'}; upload ${tusMs > 0 ? `tus over ${tusMs / 1000} s` : 'multipart'}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
