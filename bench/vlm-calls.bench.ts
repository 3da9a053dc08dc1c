// Agent overhead against a loopback double: verify() per call (miss, hit, single-flight) and reply parsing speed.
// Run: npx tsx bench/vlm-calls.bench.ts   (no network: the double listens on 127.0.0.1)
import sharp from 'sharp';
import { parseModelReply } from '../services/agent/answer.ts';
import { createVlmAgent, type Keyframe, type VerifyContext } from '../services/agent/index.ts';
import { configFromObject } from '../services/core/config.ts';
import { ViolationKind, type VerifyRequest } from '../services/core/contracts.ts';
import { startOpenAiDouble } from '../test/doubles/openai-server.ts';
import { optInLoopback } from '../test/doubles/outbound.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

const N = 200;

function request(i: number): VerifyRequest {
  return {
    id: `bench/${i}`, sop: 'bench', rule: 'r', step: 's', cameraId: 'c', subject: 'p:1', question: `Gloves on? #${i}`, expect: 'yes', frames: 3,
    startMs: 0, endMs: 3_000, facts: ['hands in zone prep for 3.0 s'], severity: 'low', failKind: ViolationKind.VerifyFailed, violationStartMs: 0, violationEndMs: 3_000,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function timeEach(label: string, n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} n=${n}  p50 ${percentile(times, 0.5).toFixed(2)} ms  p95 ${percentile(times, 0.95).toFixed(2)} ms`);
}

const double = await startOpenAiDouble({ name: 'bench' });
try {
  // 3 keyframes of 512x384, JPEG q80, filled with noise: the worst case for base64 and hashing (real crops are smaller).
  const keyframes: Keyframe[] = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const raw = Buffer.alloc(512 * 384 * 3);
      for (let j = 0; j < raw.length; j++) raw[j] = (j * 2654435761 + i * 97) >>> 24;
      return { id: `k${i}`, tMs: i * 1_000, jpeg: await sharp(raw, { raw: { width: 512, height: 384, channels: 3 } }).jpeg({ quality: 80 }).toBuffer() };
    }),
  );
  console.log(`keyframe sizes: ${keyframes.map((k) => `${(k.jpeg.length / 1024).toFixed(0)} KiB`).join(', ')}`);
  const config = configFromObject({ vlm: { providers: [{ id: 'b', baseUrl: double.url, model: 'm', pricePerMTokIn: 0.1, pricePerMTokOut: 0.4 }], budget: { dailyUsd: 1_000, perStore: 1_000 } } }).vlm;
  const agent = createVlmAgent(config, { log: () => undefined });
  const ctx = (i: number): VerifyContext => ({ request: request(i), keyframes, storeId: 's' });

  await timeEach('verify, cache miss (1 HTTP call on loopback)', N, (i) => agent.verify(ctx(i)));
  await timeEach('verify, cache hit (no HTTP)', N, (i) => agent.verify(ctx(i)));

  double.setScript([{ kind: 'slow', delayMs: 100 }]);
  const before = double.log.length;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 50 }, () => agent.verify(ctx(10_000))));
  console.log(`${'50 identical concurrent verify (100 ms model)'.padEnd(44)} total ${(performance.now() - t0).toFixed(0)} ms, HTTP calls ${double.log.length - before}`);

  const answer = JSON.stringify({ answer: 'no', confidence: 0.8, reason: 'frame 2 shows bare hands', observations: ['a', 'b'], instructions_in_image: false });
  const chatty = `Sure! ${'Let me think about {this} carefully. '.repeat(50)}\n\`\`\`json\n${answer}\n\`\`\`\nThanks`;
  for (const [label, text] of [['parse plain JSON', answer], ['parse chatty + fenced (2 KB)', chatty]] as const) {
    const n = 20_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) parseModelReply(text);
    console.log(`${label.padEnd(44)} ${(((performance.now() - t) * 1000) / n).toFixed(1)} µs/reply`);
  }
  const s = agent.stats();
  console.log(`stats: verifies ${s.verifies}, calls ${s.calls}, cache hits ${s.cacheHits}, shared ${s.sharedFlights}, cost $${s.costUsd.toFixed(4)}`);
} finally {
  await double.close();
}
