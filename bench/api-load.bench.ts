// API read load while clips are uploaded and analysed: `sopwatch serve` on the embedded defaults (PGlite, in-process
// queue) on 127.0.0.1, autocannon on the violations list, counts and compliance report at once, for a bounded time.
// Run: npx tsx bench/api-load.bench.ts [--seconds 20] [--connections 4] [--seed 2]   (results go in BENCHMARKS.md)
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../test/chaos/helpers/api-client.ts';
import { CHAOS_SOP_YAML, makeClip } from '../test/chaos/helpers/clip-fixture.ts';
import { addOwner, startServe } from '../test/chaos/helpers/serve-process.ts';
import { sleep, waitUntil } from '../test/chaos/helpers/wait.ts';

/** The part of autocannon's result this bench reads (the package ships no types). */
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
type Autocannon = (options: { url: string; connections: number; duration: number; headers: Record<string, string>; timeout: number }) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, connections: { type: 'string', default: '4' }, seed: { type: 'string', default: '2' } } });
const seconds = Math.min(Math.max(Number(values.seconds), 1), 60);
const connections = Math.min(Math.max(Number(values.connections), 1), 32);
const seed = Math.min(Math.max(Number(values.seed), 0), 10);

const dir = await mkdtemp(join(tmpdir(), 'sopwatch-api-load-'));
// Embedded defaults: no DATABASE_URL or REDIS_URL even if this shell has them.
const vars = { SOPWATCH_DATA_DIR: dir, DATABASE_URL: '', REDIS_URL: '', SOPWATCH_ROLES: 'api,worker' };
const password = await addOwner(vars, 'owner@bench.test', 'Bench St');
const serve = await startServe('serve', vars);
try {
  const base = serve.url ?? '';
  if (!base.startsWith('http://127.0.0.1:')) throw new Error(`serve listens on ${base}, not on loopback`);
  const client = new ApiClient(base, 60_000);
  await client.login('owner@bench.test', password);
  const { storeId, cameraId } = await client.setupStore(CHAOS_SOP_YAML);
  const clip = await makeClip(dir, 'empty-counter.mp4', 4);

  const clipStatuses = async (): Promise<Record<string, number>> => {
    const list = await client.call<Array<{ status: string }>>('GET', `/api/clips?storeId=${storeId}&limit=500`);
    const counts: Record<string, number> = {};
    for (const c of list.body) counts[c.status] = (counts[c.status] ?? 0) + 1;
    return counts;
  };
  // Data to read: a few clips analysed before the measurement (2 violations each).
  for (let i = 0; i < seed; i++) await client.upload(storeId, cameraId, clip);
  await waitUntil('the seed clips to be analysed', 600_000, async () => ((await clipStatuses()).done ?? 0) >= seed, 1_000);
  const seeded = await client.call<unknown[]>('GET', `/api/violations?storeId=${storeId}`);
  const before = await clipStatuses();

  const cookie = (await fetch(`${base}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@bench.test', password }),
  })).headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const routes: Array<[string, string]> = [
    ['violations list', `/api/violations?storeId=${storeId}`],
    ['violation counts', `/api/violations/counts?storeId=${storeId}`],
    ['compliance report', `/api/reports/compliance?storeId=${storeId}`],
  ];
  const measure = async (label: string): Promise<void> => {
    const load0 = loadavg()[0] ?? 0;
    const results = await Promise.all(routes.map(([, path]) => autocannon({ url: `${base}${path}`, connections, duration: seconds, headers: { cookie }, timeout: 10 })));
    console.log(`\n${label}: load average (1 min) ${load0.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after`);
    console.log('| route | requests/s | p50 ms | p99 ms | max ms | requests | non-2xx | errors | timeouts |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [i, [name]] of routes.entries()) {
      const r = results[i] as CannonResult;
      console.log(`| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.requests.total} | ${r.non2xx} | ${r.errors} | ${r.timeouts} |`);
    }
  };

  console.log(`sopwatch serve on ${base} (PGlite + in-process queue); ${seconds} s per phase; ${connections} connections per route, ${routes.length} routes at once`);
  console.log(`data: ${seeded.body.length} violations from ${seed} seed clips; clips ${JSON.stringify(before)}`);
  await measure('quiet (no analysis running)');

  // Background work during the second measurement: an upload every 3 s, analysed by the same process (concurrency 1).
  let uploading = true;
  const uploads = { accepted: 0, refused: 0, maxMs: 0 };
  const uploader = (async () => {
    while (uploading) {
      const up = await client.upload(storeId, cameraId, clip);
      if (up.status === 202) uploads.accepted += 1;
      else uploads.refused += 1;
      uploads.maxMs = Math.max(uploads.maxMs, up.ms);
      await sleep(3_000);
    }
  })();
  await measure('busy (uploads every 3 s, analysis running)');
  uploading = false;
  await uploader;
  const after = await clipStatuses();
  console.log(`background: ${uploads.accepted} uploads accepted, ${uploads.refused} refused, slowest upload ${Math.round(uploads.maxMs)} ms; clips after ${JSON.stringify(after)}`);
} finally {
  await serve.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
