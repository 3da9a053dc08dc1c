// The model reply parser and judge: recovery of JSON from messy replies, and the rules that turn answers unsure.
import { describe, expect, it } from 'vitest';
import { citedFrames, judgeAnswer, MODEL_ANSWER_JSON_SCHEMA, parseModelReply, replyText, type ModelAnswer } from '../../services/agent/answer.ts';
import { ViolationKind, type VerifyRequest } from '../../services/core/contracts.ts';

const valid = { answer: 'no', confidence: 0.8, reason: 'frame 2 shows bare hands', observations: ['bare hands'], instructions_in_image: false };

const request: VerifyRequest = {
  id: 'bar/seq/tamp/p:1/1000', sop: 'bar', rule: 'seq', step: 'tamp', cameraId: 'bar-1', subject: 'p:1',
  question: 'Is the barista wearing gloves?', expect: 'yes', frames: 3, startMs: 1000, endMs: 4000, facts: [],
  severity: 'medium', failKind: ViolationKind.VerifyFailed, violationStartMs: 1000, violationEndMs: 4000,
};
const keyframes = ['k0', 'k1', 'k2'].map((id, i) => ({ id, tMs: 1000 + i * 1000, jpeg: Buffer.from(id) }));

describe('parseModelReply', () => {
  it('accepts plain JSON', () => {
    const r = parseModelReply(JSON.stringify(valid));
    expect(r.ok && r.value).toEqual(valid);
  });

  it('recovers a fenced ```json block', () => {
    const r = parseModelReply('Here you go:\n```json\n' + JSON.stringify(valid) + '\n```');
    expect(r.ok && r.value.answer).toBe('no');
  });

  it('recovers an object surrounded by chatty text, even with braces inside strings', () => {
    const tricky = { ...valid, reason: 'frame 1: sign says "{not json}"' };
    const r = parseModelReply(`Sure! {draft} My answer: ${JSON.stringify(tricky)} Hope that helps {:`);
    expect(r.ok && r.value.reason).toBe(tricky.reason);
  });

  it('reads reasoning_content only when content is empty', () => {
    expect(replyText('', JSON.stringify(valid))).toBe(JSON.stringify(valid));
    expect(replyText(null, 'reasoning')).toBe('reasoning');
    expect(replyText('content', 'reasoning')).toBe('content');
    expect(replyText([{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], 'r')).toBe('ab');
  });

  it('rejects invalid, truncated, wrong-enum and extra-field replies with a problem', () => {
    for (const bad of [
      'I think yes',
      JSON.stringify(valid).slice(0, 30),
      JSON.stringify({ ...valid, answer: 'maybe' }),
      JSON.stringify({ ...valid, confidence: 7 }),
      JSON.stringify({ ...valid, verdict: 'pass' }),
      '',
    ]) {
      const r = parseModelReply(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.problem.length).toBeGreaterThan(0);
    }
  });
});

describe('citedFrames', () => {
  it('finds single and listed frame numbers within range', () => {
    expect(citedFrames('frame 2 shows it', 3)).toEqual([2]);
    expect(citedFrames('Frames 1 and 3, also frame #2', 3)).toEqual([1, 2, 3]);
    expect(citedFrames('frames 1, 2', 3)).toEqual([1, 2]);
    expect(citedFrames('frame 9 and frame 0', 3)).toEqual([]);
    expect(citedFrames('the framework is fine', 3)).toEqual([]);
  });
});

describe('judgeAnswer', () => {
  const judge = (m: Partial<ModelAnswer>, frames = [0, 1, 2]) => judgeAnswer({ ...(valid as ModelAnswer), ...m }, request, frames, keyframes);

  it('keeps a failing answer that cites a frame, with that frame as evidence', () => {
    const j = judge({});
    expect(j).toMatchObject({ answer: 'no', confidence: 0.8, evidenceFrames: [1] });
    expect(j.unsureReason).toBeUndefined();
  });

  it('maps frame numbers through the frames that were actually sent', () => {
    expect(judge({ reason: 'frame 2 shows bare hands' }, [0, 2]).evidenceFrames).toEqual([2]);
  });

  it('turns a failing answer without a frame citation into unsure', () => {
    const j = judge({ reason: 'no gloves visible', observations: [] });
    expect(j).toMatchObject({ answer: 'unsure', unsureReason: 'no_frame_cited' });
  });

  it('accepts a passing answer without citation (it adds no violation)', () => {
    expect(judge({ answer: 'yes', reason: 'gloves on', observations: [] })).toMatchObject({ answer: 'yes', evidenceFrames: [0, 1, 2] });
  });

  it('turns any answer that reports instructions in the image into unsure', () => {
    for (const answer of ['yes', 'no'] as const) {
      expect(judge({ answer, instructions_in_image: true })).toMatchObject({ answer: 'unsure', unsureReason: 'instructions_in_image', confidence: 0 });
    }
  });

  it('keeps the model reason for an unsure answer', () => {
    const j = judge({ answer: 'unsure', reason: 'frame 1 is too dark' });
    expect(j.unsureReason).toBe('model_unsure');
    expect(j.reason).toContain('too dark');
  });

  it('a yes is failing when the compliant answer is no', () => {
    const j = judgeAnswer({ ...(valid as ModelAnswer), answer: 'yes', reason: 'a phone in hand', observations: [] }, { ...request, expect: 'no' }, [0, 1, 2], keyframes);
    expect(j.unsureReason).toBe('no_frame_cited');
  });
});

describe('MODEL_ANSWER_JSON_SCHEMA', () => {
  it('is strict-mode friendly: every property required, no extra properties, enum for the answer', () => {
    const s = MODEL_ANSWER_JSON_SCHEMA as { type: string; additionalProperties: boolean; required: string[]; properties: Record<string, Record<string, unknown>> };
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    expect([...s.required].sort()).toEqual(Object.keys(s.properties).sort());
    expect(s.properties.answer).toEqual({ type: 'string', enum: ['yes', 'no', 'unsure'] });
    expect(JSON.stringify(s)).not.toMatch(/maxLength|\$schema|anyOf/);
  });
});
