// `sopwatch vlm check`: asks every configured provider a tiny question with a known answer and reports what happened.
import sharp from 'sharp';
import { createVlmAgent, type VerifyResult } from '../agent/index.ts';
import { providerKind } from '../agent/provider-kinds.ts';
import { ConfigError, loadConfig, type SopwatchConfig, type VlmProviderConfig } from '../core/config.ts';
import { ViolationKind, type VerifyRequest } from '../core/contracts.ts';
import { env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';

const HELP = `Usage: sopwatch vlm check [--config FILE]

Asks each provider in sopwatch.yaml (vlm.providers) whether a generated red square is mostly red,
and prints per provider: reachable or not (and why), latency, whether structured output works, the answer.
Exit status: 0 when at least one provider answers correctly, 1 when none does, 2 when no provider is configured.`;

const CHECK_REQUEST: VerifyRequest = {
  id: 'vlm-check/red-square/-/-/0',
  sop: 'vlm-check',
  rule: 'red-square',
  cameraId: 'vlm-check',
  subject: '-',
  question: 'Is this image mostly red?',
  expect: 'yes',
  frames: 1,
  startMs: 0,
  endMs: 0,
  facts: ['the image is a generated test pattern, not a camera frame'],
  severity: 'low',
  failKind: ViolationKind.VerifyFailed,
  violationStartMs: 0,
  violationEndMs: 0,
};

function parseArgs(args: string[]): { help: boolean; bare: boolean; config?: string } {
  const out: { help: boolean; bare: boolean; config?: string } = { help: false, bare: args.length === 0 };
  const rest = [...args];
  if (rest[0] === 'check') rest.shift();
  else if (rest[0] !== undefined && !rest[0].startsWith('-')) throw new UsageError(`unknown subcommand "${rest[0]}"\n${HELP}`);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] ?? '';
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--config') {
      const v = rest[++i];
      if (v === undefined) throw new UsageError('--config needs a file');
      out.config = v;
    } else if (a.startsWith('--config=')) out.config = a.slice('--config='.length);
    else throw new UsageError(`unknown option "${a}"\n${HELP}`);
  }
  return out;
}

function structuredLine(p: VlmProviderConfig, r: VerifyResult): string {
  const ok = r.calls.filter((c) => c.outcome === 'ok');
  const used = ok[0]?.structuredOutput;
  if (used === undefined) return 'unknown (no reply)';
  if (p.structuredOutput === 'none') return 'not requested (structuredOutput: none)';
  const repaired = r.calls.some((c) => c.purpose === 'repair') ? ', but the first reply needed a repair' : '';
  return used === p.structuredOutput ? `${used} works${repaired}` : `${p.structuredOutput} refused (HTTP 400); works without response_format: set structuredOutput: none${repaired}`;
}

function report(p: VlmProviderConfig, r: VerifyResult): { lines: string[]; correct: boolean } {
  const ok = r.calls.find((c) => c.outcome === 'ok');
  const lines = [`${p.id}  vlm:${p.id}/${p.model}  ${p.baseUrl}${p.region !== undefined ? `  region ${p.region}` : ''}`];
  const kind = providerKind(p.baseUrl);
  const found: string[] = [kind === undefined
    ? '  provider: not one of the documented kinds (see services/agent/README.md)'
    : `  provider: ${kind.name} (documents: structured ${kind.structured}; reasoning ${kind.reasoning}; errors ${kind.errorBody})`];
  for (const c of r.calls) if (c.outcome !== 'ok' && c.detail !== undefined) found.push(`  found error: HTTP ${c.httpStatus ?? '-'} ${c.outcome}: ${c.detail}`);
  if (!ok) {
    lines.push(`  reachable: no (${r.reason})`, ...found);
    return { lines, correct: false };
  }
  found.push(`  found reply: ${(ok.shape ?? []).join(', ')}; answer ${r.unsureReason === 'invalid_answer' ? 'unreadable' : 'read'}`);
  const latencyMs = r.calls.reduce((s, c) => s + c.latencyMs, 0);
  const correct = r.answer === 'yes';
  lines.push(
    `  reachable: yes (HTTP ${ok.httpStatus ?? 200})`,
    `  latency: ${latencyMs} ms over ${r.calls.length} request(s)`,
    `  structured output: ${structuredLine(p, r)}`,
    `  answer: ${r.answer} (confidence ${r.confidence.toFixed(2)}): ${JSON.stringify(r.reason)} -> ${correct ? 'correct' : 'WRONG (expected yes)'}`,
    `  cost: $${r.costUsd.toFixed(6)} (${ok.promptTokens} prompt + ${ok.completionTokens} completion tokens)`,
    ...found,
  );
  return { lines, correct };
}

export async function run(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  if (opts.help || opts.bare) {
    process.stdout.write(`${HELP}\n`);
    return opts.bare ? 2 : 0;
  }
  const file = opts.config ?? env().configPath ?? 'sopwatch.yaml';
  let config: SopwatchConfig;
  try {
    config = await loadConfig(opts.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.problems.join('\n')}\n`);
    return 2;
  }
  const providers = config.vlm.providers;
  if (providers.length === 0) {
    process.stderr.write(`sopwatch vlm check: no VLM providers configured (vlm.providers in ${file})\n`);
    return 2;
  }
  const notes: string[] = [];
  const agent = createVlmAgent(config.vlm, { log: (level, message) => notes.push(`${level}: ${message}`) });
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 220, g: 24, b: 24 } } }).jpeg({ quality: 85 }).toBuffer();
  process.stdout.write(`sopwatch vlm check: asking ${providers.length} provider(s) from ${file}: "${CHECK_REQUEST.question}" (a red square; expected yes)\n\n`);
  let correct = 0;
  for (const p of providers) {
    const result = await agent.ask(p.id, { request: CHECK_REQUEST, keyframes: [{ id: 'red-square', tMs: 0, jpeg }] });
    const r = report(p, result);
    if (r.correct) correct++;
    process.stdout.write(`${r.lines.join('\n')}\n\n`);
  }
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`${correct} of ${providers.length} provider(s) answered correctly\n`);
  return correct > 0 ? 0 : 1;
}
