// `sopwatch vlm check` as a child process against loopback doubles: per-provider report and exit status.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startOpenAiDouble, type DoubleAnswer, type DoubleRequest, type OpenAiDouble } from '../doubles/openai-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-vlm-check-'));
let doubles: OpenAiDouble[] = [];
afterEach(async () => {
  await Promise.all(doubles.map((d) => d.close()));
  doubles = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model that really looks: decodes the image it received and says whether red dominates. */
async function looksRed(req: DoubleRequest): Promise<DoubleAnswer> {
  const img = req.imageBytes[0];
  if (!img) return { answer: 'unsure', reason: 'no image' };
  const { channels } = await sharp(img).stats();
  const [r, g, b] = channels.map((c) => c.mean);
  const red = (r ?? 0) > 1.5 * Math.max(g ?? 0, b ?? 0);
  return { answer: red ? 'yes' : 'no', confidence: 0.97, reason: `frame 1 is ${red ? 'a solid red square' : 'not red'}` };
}

function runCheck(configFile: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/sopwatch.mjs', 'vlm', 'check', '--config', configFile],
      { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, ...extraEnv }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function writeConfig(name: string, providers: Array<Record<string, unknown>>): string {
  const file = join(dir, name);
  const lines = ['vlm:', '  providers:'];
  for (const p of providers) {
    lines.push(`    - id: ${String(p.id)}`);
    for (const [k, v] of Object.entries(p)) if (k !== 'id') lines.push(`      ${k}: ${String(v)}`);
  }
  if (providers.length === 0) lines[1] = '  providers: []';
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describe('sopwatch vlm check', () => {
  it('reports each provider and exits 0 when one answers correctly', async () => {
    const log: DoubleRequest[] = [];
    const good = await startOpenAiDouble({ name: 'good', log, script: [{ kind: 'custom', reply: looksRed }], quirks: { apiKey: 'k-good' } });
    const plain = await startOpenAiDouble({ name: 'plain', log, script: [{ kind: 'custom', reply: looksRed }], quirks: { rejectResponseFormat: true } });
    const locked = await startOpenAiDouble({ name: 'locked', log, quirks: { apiKey: 'the-real-key' } });
    doubles.push(good, plain, locked);
    const file = writeConfig('ok.yaml', [
      { id: 'good', baseUrl: good.url, model: 'vision-1', apiKeyEnv: 'SOPWATCH_TEST_GOOD_KEY', region: 'local' },
      { id: 'plain', baseUrl: plain.url, model: 'vision-2' },
      { id: 'locked', baseUrl: locked.url, model: 'vision-3', apiKeyEnv: 'SOPWATCH_TEST_LOCKED_KEY' },
    ]);
    const { code, stdout } = await runCheck(file, { SOPWATCH_TEST_GOOD_KEY: 'k-good', SOPWATCH_TEST_LOCKED_KEY: 'wrong-key-123' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/good {2}vlm:good\/vision-1[^\n]*region local\n {2}reachable: yes \(HTTP 200\)\n {2}latency: \d+ ms/);
    expect(stdout).toMatch(/structured output: json_schema works/);
    expect(stdout).toMatch(/answer: yes \(confidence 0\.97\): "frame 1 is a solid red square" -> correct/);
    expect(stdout).toMatch(/plain[^\n]*\n {2}reachable: yes[\s\S]*?structured output: json_schema refused \(HTTP 400\); works without response_format/);
    expect(stdout).toMatch(/locked[^\n]*\n {2}reachable: no \([^\n]*HTTP 401[^\n]*SOPWATCH_TEST_LOCKED_KEY/);
    expect(stdout).not.toContain('wrong-key-123');
    expect(stdout).toMatch(/2 of 3 provider\(s\) answered correctly/);
    // What it found per provider: the reply's shape, and the provider's documented error body.
    expect(stdout).toMatch(/found reply: content as text, usage reported; answer read/);
    expect(stdout).toMatch(/found error: HTTP 401 unauthorized: Incorrect API key provided\./);
    // The image the models received really is a red JPEG.
    const sent = log.find((e) => e.provider === 'good')?.imageBytes[0];
    expect(sent?.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(log.find((e) => e.provider === 'good')?.text).toContain('Is this image mostly red?');
  });

  it('exits 1 when no provider answers correctly', async () => {
    const wrong = await startOpenAiDouble({ name: 'wrong', script: [{ kind: 'answer', answer: 'no', reason: 'frame 1 is blue' }] });
    const down = await startOpenAiDouble({ name: 'down', script: [{ kind: 'status', status: 503 }] });
    doubles.push(wrong, down);
    const file = writeConfig('bad.yaml', [
      { id: 'wrong', baseUrl: wrong.url, model: 'm' },
      { id: 'down', baseUrl: down.url, model: 'm' },
    ]);
    const { code, stdout } = await runCheck(file);
    expect(code).toBe(1);
    expect(stdout).toMatch(/WRONG \(expected yes\)/);
    expect(stdout).toMatch(/down[^\n]*\n {2}reachable: no \([^\n]*HTTP 503/);
    expect(stdout).toMatch(/0 of 2 provider\(s\) answered correctly/);
  });

  it('exits 2 with no providers, and with a broken config file', async () => {
    const none = await runCheck(writeConfig('none.yaml', []));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no VLM providers configured/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'vlm:\n  providers:\n    - id: a\n      baseUrl: http://127.0.0.1:9/v1\n      model: m\n      apiKey: sk-1\n');
    const bad = await runCheck(broken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${broken}:6:7: unknown key "apiKey"`);
  });
});
