// Peak memory of `sopwatch serve` while it receives a 2 GiB resumable (tus) upload: the file is made on the fly (a
// small real clip, then one MP4 `free` box of zeros up to 2 GiB), sent in one PATCH over 127.0.0.1, hashed, probed and
// registered as a clip; the server's resident memory is sampled from /proc every 100 ms, and VmHWM read at the end.
// Nothing is written to disk by this script but the server's data directory, deleted afterwards.
// Run: npx tsx bench/tus-upload.bench.ts [--gib 2]   (results go in BENCHMARKS.md; never part of the test suite)
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeClip } from '../test/chaos/helpers/clip-fixture.ts';
import { addOwner, startServe } from '../test/chaos/helpers/serve-process.ts';

const { values } = parseArgs({ options: { gib: { type: 'string', default: '2' } } });
const total = Math.round(Math.min(Math.max(Number(values.gib), 0.01), 2) * 1024 ** 3);
const CHUNK = 1024 * 1024;

const dir = await mkdtemp(join(tmpdir(), 'sopwatch-tus-bench-'));
const vars = { SOPWATCH_DATA_DIR: join(dir, 'data'), DATABASE_URL: '', REDIS_URL: '', SOPWATCH_ROLES: 'api,worker' };
const mib = (bytes: number): string => (bytes / 1024 ** 2).toFixed(0);

async function status(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

const password = await addOwner(vars, 'owner@bench.test', 'Bench St');
const serve = await startServe('serve', vars);
try {
  const base = serve.url ?? '';
  if (!base.startsWith('http://127.0.0.1:')) throw new Error(`serve listens on ${base}, not on loopback`);
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@bench.test', password }) });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
  const auth = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
  const storeId = ((await (await fetch(`${base}/api/stores`, { headers: auth })).json()) as Array<{ id: string }>)[0]?.id ?? '';
  const cam = await fetch(`${base}/api/stores/${storeId}/cameras`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'counter-1' }) });
  const cameraId = ((await cam.json()) as { id: string }).id;

  const head = await readFile(await makeClip(dir, 'head.mp4', 2));
  const box = Buffer.alloc(8);
  box.writeUInt32BE(total - head.length, 0);
  box.write('free', 4, 'latin1');

  const tus = { cookie, 'x-csrf-token': csrf, 'tus-resumable': '1.0.0' };
  const created = await fetch(`${base}/api/stores/${storeId}/uploads?cameraId=${cameraId}`, {
    method: 'POST', headers: { ...tus, 'upload-length': String(total), 'upload-metadata': `filename ${Buffer.from('bench 2 GiB.mp4').toString('base64')}` },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
  const location = created.headers.get('location') ?? '';

  const before = await status(serve.pid);
  let peak = before.rss;
  const sampler = setInterval(() => void status(serve.pid).then((s) => { peak = Math.max(peak, s.rss); }, () => undefined), 100);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) {
        const first = Buffer.concat([head, box]);
        sent = first.length;
        controller.enqueue(first);
        return;
      }
      const n = Math.min(CHUNK, total - sent);
      if (n <= 0) return controller.close();
      sent += n;
      controller.enqueue(new Uint8Array(n));
    },
  });
  const started = Date.now();
  const loadBefore = loadavg()[0] ?? 0;
  const res = await fetch(`${base}${location}`, {
    method: 'PATCH', headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(total) }, body, duplex: 'half',
  });
  const wallS = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const after = await status(serve.pid);
  if (res.status !== 204) throw new Error(`PATCH: ${res.status} ${await res.text()}`);
  const clipId = res.headers.get('sopwatch-clip-id');
  const clip = (await (await fetch(`${base}/api/clips/${clipId}`, { headers: auth })).json()) as { bytes: number };
  if (clip.bytes !== total) throw new Error(`the clip has ${clip.bytes} bytes, not ${total}`);
  console.log(JSON.stringify({
    bytes: total, wallS: Number(wallS.toFixed(1)), mibPerS: Number((total / 1024 ** 2 / wallS).toFixed(0)),
    rssBeforeMiB: Number(mib(before.rss)), peakRssSampledMiB: Number(mib(peak)), vmHwmMiB: Number(mib(after.hwm)),
    load: [Number(loadBefore.toFixed(1)), Number((loadavg()[0] ?? 0).toFixed(1))],
  }));
} finally {
  await serve.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
