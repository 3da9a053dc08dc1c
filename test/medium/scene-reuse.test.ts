// Identical scenes reuse the answer: the same rule asked again on the same camera, with the same subjects barely moved
// and nearly the same pixels (16x16 grayscale thumbnails of real JPEG-encoded keyframes), costs no model call; a moved
// subject, a changed picture, other subjects or too much time make a new call, and a "no" never carries into another scene.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVlmAgent, SceneMemory, type Keyframe, type SceneSignature, type VlmAgent } from '../../services/agent/index.ts';
import { configFromObject } from '../../services/core/config.ts';
import { ViolationKind, type Box, type VerifyRequest } from '../../services/core/contracts.ts';
import { encodeJpeg, grayThumbnail, type RgbImage } from '../../services/evidence/index.ts';
import { startOpenAiDouble, type Behaviour, type OpenAiDouble } from '../doubles/openai-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

const W = 160;
const H = 120;
let double: OpenAiDouble;

beforeAll(async () => {
  double = await startOpenAiDouble({ name: 'reuse' });
});
afterAll(async () => double.close());

/** A counter with two people as dark blocks, plus sensor noise of ±`noise` levels (seeded): a camera frame, roughly. */
function scene(people: Box[], opts: { noise?: number; seed?: number; extra?: boolean } = {}): RgbImage {
  const rgb = Buffer.alloc(W * H * 3);
  let seed = opts.seed ?? 1;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = 120 + Math.round((x / W) * 80);
      for (const [bx, by, bw, bh] of people) if (x >= bx * W && x < (bx + bw) * W && y >= by * H && y < (by + bh) * H) v = 40;
      if (opts.extra === true && x > W * 0.6 && y < H * 0.4) v = 240;
      v += Math.round((rand() * 2 - 1) * (opts.noise ?? 0));
      const i = (y * W + x) * 3;
      rgb[i] = v;
      rgb[i + 1] = v;
      rgb[i + 2] = v;
    }
  }
  return { width: W, height: H, rgb };
}

const PAIR: Box[] = [[0.1, 0.2, 0.2, 0.7], [0.5, 0.25, 0.2, 0.7]];
const nudge = (boxes: Box[], d: number): Box[] => boxes.map(([x, y, w, h]) => [x + d, y, w, h] as const);

let asked = 0;
function request(startMs: number, over: Partial<VerifyRequest> = {}): VerifyRequest {
  asked++;
  return {
    id: `counter/gloves/-/*/${startMs}#${asked}`, sop: 'counter', rule: 'gloves', cameraId: 'cam-1', subject: '*',
    question: 'Is every person in view wearing gloves on both hands?', expect: 'yes', frames: 2,
    startMs, endMs: startMs + 2_000, facts: [], severity: 'medium', failKind: ViolationKind.Forbidden,
    violationStartMs: startMs, violationEndMs: startMs + 2_000, subjects: ['p:1', 'p:2'], ...over,
  };
}

/** Keyframes as the analysis makes them (JPEG bytes differ with the noise), and the scene signature of the same pixels. */
async function ask(agent: VlmAgent, r: VerifyRequest, boxes: Box[], opts: { noise?: number; seed?: number; extra?: boolean; ids?: string[] } = {}) {
  const keyframes: Keyframe[] = [];
  const thumbs: Uint8Array[] = [];
  for (const i of [0, 1]) {
    const image = scene(boxes, { ...opts, seed: (opts.seed ?? 1) + i });
    keyframes.push({ id: `${r.id}#${i + 1}`, tMs: r.startMs + i * 1_000, jpeg: await encodeJpeg(image, { quality: 85, faceBoxes: [] }) });
    thumbs.push(await grayThumbnail(image));
  }
  const sceneSig: SceneSignature = { tMs: r.endMs, subjects: (opts.ids ?? ['p:1', 'p:2']).map((id, i) => ({ id, box: boxes[i] ?? [0, 0, 0, 0] })), thumbs };
  return agent.verify({ request: r, keyframes, scene: sceneSig });
}

function agentFor(script: Behaviour[], reuse: Record<string, number> = {}): { agent: VlmAgent; calls: () => number } {
  double.setScript(script, {});
  const from = double.log.length;
  const agent = createVlmAgent(configFromObject({
    vlm: { providers: [{ id: 'reuse', baseUrl: double.url, model: 'm', timeoutMs: 5_000 }], reuse },
  }).vlm, { log: () => undefined });
  return { agent, calls: () => double.log.length - from };
}

const YES: Behaviour = { kind: 'answer', answer: 'yes', reason: 'frame 1: both wear gloves' };
const NO: Behaviour = { kind: 'answer', answer: 'no', reason: 'frame 2: the left person has a bare hand' };

describe('a scene question asked again', () => {
  it('a still scene asked twice is one model call; the second answer says it is reused and from which question', async () => {
    const { agent, calls } = agentFor([YES]);
    const first = request(10_000);
    const a = await ask(agent, first, PAIR, { noise: 3, seed: 1 });
    const b = await ask(agent, request(40_000), nudge(PAIR, 0.01), { noise: 3, seed: 7 });
    expect(calls()).toBe(1);
    expect(a).toMatchObject({ answer: 'yes', via: 'model' });
    expect(b).toMatchObject({ answer: 'yes', via: 'reused', reusedFrom: first.id, calls: [], costUsd: 0 });
    expect(b.reason).toContain(`reused from ${first.id}`);
    expect(agent.stats().reused).toBe(1);
  });

  it('two still persons numbered the other way round (the camera dropped out and the tracker restarted) are the same scene', async () => {
    const { agent, calls } = agentFor([YES]);
    await ask(agent, request(10_000), PAIR, { noise: 3 });
    const swapped = await ask(agent, request(20_000), [PAIR[1] as Box, PAIR[0] as Box], { noise: 3, seed: 5 });
    expect(calls()).toBe(1);
    expect(swapped.via).toBe('reused');
  });

  it.each([
    ['a subject moved', { boxes: nudge(PAIR, 0.15) }],
    ['the picture changed', { extra: true }],
    ['other subjects', { ids: ['p:1', 'p:3'] }],
    ['another rule', { rule: 'hairnets' }],
    ['another camera', { cameraId: 'cam-2' }],
  ])('a changed scene (%s) is asked again: two calls', async (_name, change: { boxes?: Box[]; extra?: boolean; ids?: string[]; rule?: string; cameraId?: string }) => {
    const { agent, calls } = agentFor([YES]);
    await ask(agent, request(10_000), PAIR, { noise: 3 });
    const again = request(20_000, { ...(change.rule ? { rule: change.rule } : {}), ...(change.cameraId ? { cameraId: change.cameraId } : {}) });
    const b = await ask(agent, again, change.boxes ?? PAIR, { noise: 3, seed: 5, ...(change.extra ? { extra: true } : {}), ...(change.ids ? { ids: change.ids } : {}) });
    expect(calls()).toBe(2);
    expect(b.via).toBe('model');
    expect(b.reusedFrom).toBeUndefined();
  });

  it('a "no" is never reused into a different scene: the new scene gets its own answer', async () => {
    const { agent, calls } = agentFor([NO, YES]);
    const a = await ask(agent, request(10_000), PAIR, { noise: 3 });
    expect(a.answer).toBe('no');
    const moved = await ask(agent, request(20_000), nudge(PAIR, 0.2), { noise: 3, seed: 9 });
    expect(calls()).toBe(2);
    expect(moved).toMatchObject({ answer: 'yes', via: 'model' });
    // The same still scene as the "no" may reuse it, and says so.
    const still = await ask(agent, request(30_000), nudge(PAIR, 0.2), { noise: 3, seed: 11 });
    expect(calls()).toBe(2);
    expect(still).toMatchObject({ answer: 'yes', via: 'reused' });
  });

  it('a reuse never spans more than maxAgeMs from the question the model answered', async () => {
    const { agent, calls } = agentFor([YES], { maxAgeMs: 180_000 });
    await ask(agent, request(0), PAIR, { noise: 3 });
    expect((await ask(agent, request(100_000), PAIR, { noise: 3, seed: 3 })).via).toBe('reused');
    // 200 s after the answered question: asked again, even though the reuse at 100 s was within the limit.
    expect((await ask(agent, request(200_000), PAIR, { noise: 3, seed: 4 })).via).toBe('model');
    expect(calls()).toBe(2);
  });

  it('unsure answers are never reused, and maxEntries 0 turns reuse off', async () => {
    const unsure = agentFor([{ kind: 'answer', answer: 'unsure', reason: 'frame 1: hands hidden' }]);
    await ask(unsure.agent, request(0), PAIR);
    await ask(unsure.agent, request(5_000), PAIR, { seed: 2 });
    expect(unsure.calls()).toBe(2);
    const off = agentFor([YES], { maxEntries: 0 });
    await ask(off.agent, request(0), PAIR, { noise: 3 });
    await ask(off.agent, request(5_000), PAIR, { noise: 3, seed: 2 });
    expect(off.calls()).toBe(2);
  });
});

describe('the scene memory', () => {
  it('keeps at most maxEntries rules, the least recently used going first', () => {
    const memory = new SceneMemory({ maxEntries: 2, maxAgeMs: 180_000, maxBoxShift: 0.03, maxPixelDiff: 6 });
    const sig: SceneSignature = { tMs: 0, subjects: [], thumbs: [new Uint8Array(256).fill(100)] };
    const answer = { answer: 'yes' as const, confidence: 0.9, reason: 'r', decidedBy: 'vlm:x/m', evidenceFrames: [0] };
    for (const rule of ['a', 'b', 'c']) memory.remember(request(0, { rule }), sig, answer);
    expect(memory.size).toBe(2);
    expect(memory.find(request(1_000, { rule: 'a' }), sig)).toBeUndefined();
    expect(memory.find(request(1_000, { rule: 'c' }), sig)?.answer.answer).toBe('yes');
  });

  it('tells real thumbnails of a still scene apart from a changed one', async () => {
    const still = await grayThumbnail(scene(PAIR, { noise: 3, seed: 1 }));
    const again = await grayThumbnail(scene(PAIR, { noise: 3, seed: 2 }));
    const changed = await grayThumbnail(scene(PAIR, { noise: 3, seed: 2, extra: true }));
    const mad = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, i) => s + Math.abs(v - (b[i] ?? 0)), 0) / a.length;
    expect(mad(still, again)).toBeLessThan(2);
    expect(mad(still, changed)).toBeGreaterThan(8);
    // Not byte equality: the still scene's JPEG bytes differ.
    const jpegs = await Promise.all([1, 2].map(async (seed) => encodeJpeg(scene(PAIR, { noise: 3, seed }), { quality: 85, faceBoxes: [] })));
    expect(jpegs[0]?.equals(jpegs[1] as Buffer)).toBe(false);
    expect((await sharp(jpegs[0]).metadata()).width).toBe(W);
  });
});
