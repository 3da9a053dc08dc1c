// The SOP dry run of the dashboard on the demo kitchen clip (40 s): the clip is analysed first as the worker does it,
// then the dry-run route runs the same SOP file, and one with its zones moved. Wall time and CPU seconds of this
// process (detector threads included) plus its children (ffmpeg), read from /proc/self/stat.
// Run: npx tsx bench/dry-run.bench.ts [--runs 2]
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addUser, buildApp, CSRF_HEADER, SESSION_COOKIE } from '../services/api/index.ts';
import { InProcessQueue } from '../services/core/queue/index.ts';
import { ClipRepository, openDatabase } from '../services/core/storage/index.ts';
import { CameraRepository } from '../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../services/core/storage/stores.repository.ts';
import { generateSampleClip, SAMPLE_CAMERA_ID, sampleSop } from '../services/demo/index.ts';
import { loadSopText } from '../services/rules/sop-loader.ts';
import { createClipAnalyseWorker } from '../services/service/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2' } } });
const runs = Math.min(Math.max(Number(values.runs), 1), 10);

/** CPU seconds of the children waited for (ffmpeg), from /proc (Linux only; 0 elsewhere). */
function childCpuS(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    // cutime and cstime are fields 16 and 17 of the line; 14 and 15 after the command name.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

interface Cost {
  wallS: number;
  cpuS: number;
  childS: number;
}

async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; cost: Cost }> {
  const cpu = process.cpuUsage();
  const child = childCpuS();
  const start = performance.now();
  const value = await fn();
  const u = process.cpuUsage(cpu);
  return { value, cost: { wallS: (performance.now() - start) / 1000, cpuS: (u.user + u.system) / 1e6, childS: childCpuS() - child } };
}

const row = (name: string, c: Cost, extra: string): string =>
  `| ${name} | ${c.wallS.toFixed(2)} | ${c.cpuS.toFixed(2)} | ${c.childS.toFixed(2)} | ${extra} | ${loadavg()[0]?.toFixed(1)} |`;

const dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-dry-run-bench-'));
const db = await openDatabase({ memory: true });
const queue = new InProcessQueue();
try {
  await mkdir(join(dataDir, 'clips'), { recursive: true });
  const path = join(dataDir, 'clips', 'kitchen.mp4');
  await generateSampleClip(path);
  const store = await new StoreRepository(db).create({ name: 'Bench', franchise: 'F' });
  const camera = await new CameraRepository(db).create({ storeId: store.id, name: SAMPLE_CAMERA_ID });
  const yaml = sampleSop();
  const load = loadSopText(yaml, 'demo.yaml');
  if (!load.ok) throw new Error('the demo SOP file is invalid');
  await new SopFileRepository(db).addVersion(store.id, load.sop.id, yaml, load.sop);
  const clip = await new ClipRepository(db).create({ storeId: store.id, cameraId: camera.id, filename: 'kitchen.mp4', path, bytes: 1 });

  console.log('| step | wall s | CPU s (process) | CPU s (ffmpeg) | detail | load avg |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const worker = createClipAnalyseWorker({ db, dataDir, maxAttempts: 1 });
  const analysed = await measured(() => worker.handle({ storeId: store.id, clipId: clip.id }, { name: 'clip.analyse' as never, jobId: 'clip.x.a0', attempt: 1, progress: async () => undefined }));
  console.log(row('worker analysis (ClipAnalyse job)', analysed.cost, analysed.value.status));

  const app = buildApp({ db, queue, dataDir, config: {} });
  await app.ready();
  const password = 'correct horse battery staple';
  await addUser(db, { email: 'manager@bench.test', role: 'manager', stores: [store.id], password });
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'manager@bench.test', password } });
  const cookie = login.cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? '';
  const csrf = login.json<{ csrfToken: string }>().csrfToken;
  const dryRun = (draft: string) => app.inject({
    method: 'POST', url: `/api/stores/${store.id}/sops/dry-run`, payload: { yaml: draft, clipId: clip.id },
    headers: { cookie: `${SESSION_COOKIE}=${cookie}`, [CSRF_HEADER]: csrf },
  });
  // The sink moved 0.05 to the right: a new region, so new crops for the detector.
  const moved = yaml.replace(/sink: \[\[0\.03, 0\.64\], \[0\.38, 0\.64\], \[0\.40, 1\.00\], \[0\.01, 1\.00\]\]/, 'sink: [[0.08, 0.64], [0.43, 0.64], [0.45, 1.00], [0.06, 1.00]]');
  if (moved === yaml) throw new Error('the demo SOP file changed: update the zone this bench moves');
  for (const [name, draft] of [['dry run, same SOP', yaml], ['dry run, sink moved', moved]] as const) {
    for (let i = 0; i < runs; i++) {
      const r = await measured(() => dryRun(draft));
      if (r.value.statusCode !== 200) throw new Error(`dry run: ${r.value.statusCode} ${r.value.body}`);
      const body = r.value.json<{ frames: number; violations: Array<{ rule: string; start: number; end: number }>; stats?: { detectorCalls: number; cachedDetections: number } }>();
      const calls = body.stats === undefined ? '' : `, detector ${body.stats.detectorCalls} + cached ${body.stats.cachedDetections}`;
      console.log(row(name, r.cost, `${body.frames} frames${calls}, violations ${body.violations.map((v) => `${v.rule} ${v.start}-${v.end}`).join(', ')}`));
    }
  }
  await app.close();
} finally {
  await queue.close();
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
}
