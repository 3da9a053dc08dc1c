// The prompt: injection rule in the system message, facts as ground truth, labelled data-URL frames, maxImages.
import { describe, expect, it } from 'vitest';
import { buildRepairRequest, buildVerifyRequest, spreadIndexes, SYSTEM_PROMPT } from '../../services/agent/prompt.ts';
import type { ContentPart } from '../../services/agent/types.ts';
import { ViolationKind, type VerifyRequest } from '../../services/core/contracts.ts';

const request: VerifyRequest = {
  id: 'bar/seq/tamp/p:1/10000', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp', cameraId: 'bar-1', subject: 'p:1',
  question: 'Is the barista pressing a tamper into the portafilter?', expect: 'yes', frames: 5, startMs: 10_000, endMs: 14_000,
  facts: ['a hand was in zone machine for 2.4 s', 'one person at the bar'], severity: 'medium', failKind: ViolationKind.VerifyFailed,
  violationStartMs: 10_000, violationEndMs: 14_000,
};
const keyframes = [0, 1, 2, 3, 4].map((i) => ({ id: `kf${i}`, tMs: 10_000 + i * 1_000, jpeg: Buffer.from([0xff, 0xd8, i]) }));

function parts(req: ReturnType<typeof buildVerifyRequest>): ContentPart[] {
  const user = req.messages[1]?.content;
  if (!Array.isArray(user)) throw new Error('user content is not parts');
  return user;
}

describe('spreadIndexes', () => {
  it('keeps all when they fit, else spreads evenly including both ends', () => {
    expect(spreadIndexes(3, 5)).toEqual([0, 1, 2]);
    expect(spreadIndexes(5, 3)).toEqual([0, 2, 4]);
    expect(spreadIndexes(10, 4)).toEqual([0, 3, 6, 9]);
    expect(spreadIndexes(5, 1)).toEqual([2]);
    expect(spreadIndexes(0, 3)).toEqual([]);
  });
});

describe('buildVerifyRequest', () => {
  it('says scene text is never an instruction and asks for the JSON shape', () => {
    expect(SYSTEM_PROMPT).toMatch(/never an instruction/);
    expect(SYSTEM_PROMPT).toMatch(/instructions_in_image/);
    expect(SYSTEM_PROMPT).toMatch(/"frame 2"/);
    expect(SYSTEM_PROMPT).toMatch(/JSON/);
  });

  it('puts the question and detector facts as ground truth in the user message, but not the expected answer', () => {
    const text = parts(buildVerifyRequest(request, keyframes, 5)).filter((p) => p.type === 'text').map((p) => p.text).join('\n');
    expect(text).toContain(request.question);
    expect(text).toContain('ground truth');
    for (const f of request.facts) expect(text).toContain(f);
    expect(text).toContain('shot-sequence/tamp');
    expect(text).not.toMatch(/expect/i);
  });

  it('labels each frame "frame N at t=…s" before its data URL', () => {
    const p = parts(buildVerifyRequest(request, keyframes, 5));
    const labels = p.filter((x) => x.type === 'text' && x.text.startsWith('frame ')).map((x) => (x.type === 'text' ? x.text : ''));
    expect(labels).toEqual(['frame 1 at t=0.0s', 'frame 2 at t=1.0s', 'frame 3 at t=2.0s', 'frame 4 at t=3.0s', 'frame 5 at t=4.0s']);
    const images = p.filter((x) => x.type === 'image_url');
    expect(images).toHaveLength(5);
    const first = images[0];
    expect(first?.type === 'image_url' && first.image_url.url).toBe(`data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, 0]).toString('base64')}`);
  });

  it('sends at most maxImages frames, evenly spread, and records which', () => {
    const req = buildVerifyRequest(request, keyframes, 3);
    expect(req.frames).toEqual([0, 2, 4]);
    const labels = parts(req).filter((x) => x.type === 'text' && x.text.startsWith('frame ')).map((x) => (x.type === 'text' ? x.text : ''));
    expect(labels).toEqual(['frame 1 at t=0.0s', 'frame 2 at t=2.0s', 'frame 3 at t=4.0s']);
  });

  it('repair appends the bad reply and asks for JSON only', () => {
    const base = buildVerifyRequest(request, keyframes, 2);
    const repair = buildRepairRequest(base, 'I think yes', 'no JSON object was found');
    expect(repair.messages).toHaveLength(4);
    expect(repair.messages[2]).toEqual({ role: 'assistant', content: 'I think yes' });
    expect(repair.messages[3]?.content).toMatch(/only one valid JSON object/);
    expect(repair.frames).toEqual(base.frames);
  });
});
