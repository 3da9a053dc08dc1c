// Dashboard weight and first load: bundle size (minified, gzip, brotli), build time, and cold first loads in Chromium on loopback.
// Run: npx tsx bench/dashboard.bench.ts [--runs 5]     (prints two tables; results go in BENCHMARKS.md)
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildDashboardBundle } from '../dashboard/bundle.ts';
import { CHROMIUM, USERS, launchChromium, newContext, signIn, startWorld } from '../dashboard/test/harness.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Math.max(1, Number(values.runs));
const kb = (n: number): string => (n / 1024).toFixed(1);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

const builds: number[] = [];
let bundle = await buildDashboardBundle();
builds.push(bundle.buildMs);
for (let i = 1; i < 3; i++) {
  bundle = await buildDashboardBundle();
  builds.push(bundle.buildMs);
}
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('\n| file | minified KiB | gzip KiB | brotli KiB |\n| --- | --- | --- | --- |');
for (const [name, a] of [['app.js', bundle.js], ['app.css', bundle.css]] as const) {
  console.log(`| ${name} | ${kb(a.body.length)} | ${kb(a.gzip.length)} | ${kb(a.brotli.length)} |`);
}
const total = { min: bundle.js.body.length + bundle.css.body.length, gz: bundle.js.gzip.length + bundle.css.gzip.length, br: bundle.js.brotli.length + bundle.css.brotli.length };
console.log(`| total | ${kb(total.min)} | ${kb(total.gz)} | ${kb(total.br)} |`);
console.log(`\nesbuild build (in memory, minified): first ${builds[0]} ms, then ${builds.slice(1).join(', ')} ms`);

if (!existsSync(CHROMIUM)) {
  console.log(`\nfirst-load timings skipped: ${CHROMIUM} is absent (apt-get install chromium)`);
  process.exit(0);
}

const world = await startWorld();
const browser = await launchChromium();
try {
  // Warm the server's own bundle cache: the first page request after start waits for the build.
  await fetch(`${world.url}/signin`);
  const signinMs: number[] = [];
  const signinDcl: number[] = [];
  const alertsMs: number[] = [];
  const bytes: number[] = [];
  for (let i = 0; i < runs; i++) {
    // A new context each run: empty HTTP cache, no session.
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${world.url}/signin`, { waitUntil: 'commit' });
    await page.getByRole('heading', { name: 'Sign in to sopwatch' }).waitFor();
    const t = await page.evaluate<{ ready: number; dcl: number; bytes: number }>(`({ ready: performance.now(), dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
      bytes: performance.getEntriesByType('navigation')[0].transferSize + performance.getEntriesByType('resource').reduce((a, r) => a + r.transferSize, 0) })`);
    signinMs.push(t.ready);
    signinDcl.push(t.dcl);
    bytes.push(t.bytes);
    // Signed in, a fresh page load of the inbox (cached bundle): the time until the queue is on screen.
    await signIn(page, world.url, USERS.managerB);
    await page.goto(`${world.url}/alerts`, { waitUntil: 'commit' });
    await page.locator('.queue-item').first().waitFor();
    alertsMs.push(await page.evaluate<number>('performance.now()'));
    await ctx.close();
  }
  console.log(`\n${runs} cold loads on loopback (medians), Chromium ${browser.version()}, 1280x800:`);
  console.log('| page | DOMContentLoaded ms | on screen ms | bytes over the wire KiB |\n| --- | --- | --- | --- |');
  console.log(`| /signin, empty cache | ${median(signinDcl).toFixed(0)} | ${median(signinMs).toFixed(0)} | ${kb(median(bytes))} |`);
  console.log(`| /alerts signed in, bundle cached, 1 alert | — | ${median(alertsMs).toFixed(0)} | — |`);
} finally {
  await browser.close();
  await world.close();
}
