// Edges of the reply parser and the judge that mutation testing (npm run mutation:answer) showed no test held:
// the scan limits, braces and escapes inside strings, fences, the exact problem reported, frame citations, evidence.
import { describe, expect, it } from 'vitest';
import { citedFrames, judgeAnswer, parseModelReply, replyText, type ModelAnswer } from '../../services/agent/answer.ts';
import { ViolationKind, type VerifyRequest } from '../../services/core/contracts.ts';

const valid: ModelAnswer = { answer: 'no', confidence: 0.8, reason: 'frame 2 shows bare hands', observations: ['bare hands'], instructions_in_image: false };
const json = JSON.stringify(valid);

const request: VerifyRequest = {
  id: 'bar/seq/tamp/p:1/1000', sop: 'bar', rule: 'seq', step: 'tamp', cameraId: 'bar-1', subject: 'p:1',
  question: 'Is the barista wearing gloves?', expect: 'yes', frames: 3, startMs: 1000, endMs: 4000, facts: [],
  severity: 'medium', failKind: ViolationKind.VerifyFailed, violationStartMs: 1000, violationEndMs: 4000,
};
const keyframes = ['k0', 'k1', 'k2'].map((id, i) => ({ id, tMs: 1000 + i * 1000, jpeg: Buffer.from(id) }));

const problem = (text: string): string => {
  const r = parseModelReply(text);
  return r.ok ? 'ok' : r.problem;
};

describe('replyText', () => {
  it('joins only the text parts of a content array', () => {
    expect(replyText([null, 'raw', 7, { type: 'image_url' }, { text: 5 }, { type: 'text', text: 'a' }], 'r')).toBe('a');
  });

  it('falls back to reasoning when content is only whitespace, and to nothing when reasoning is not text', () => {
    expect(replyText('  \n ', 'reasoning')).toBe('reasoning');
    expect(replyText('', 42)).toBe('');
    expect(replyText(undefined, { text: 'x' })).toBe('');
  });
});

describe('parseModelReply', () => {
  it('says exactly why a reply was refused, and reads liberally what a tolerant model may say', () => {
    const read = (text: string) => {
      const r = parseModelReply(text);
      return r.ok ? { answer: r.value.answer, confidence: r.value.confidence } : r.problem;
    };
    expect(problem('   ')).toBe('the reply was empty');
    for (const notAnAnswer of ['42', '[1]']) expect(problem(notAnAnswer), notAnAnswer).toBe('no JSON object was found in the reply');
    expect(problem('{}')).toBe('the JSON object is invalid: the JSON object has no "answer"');
    expect(problem('x {"answer": {"a":1}}')).toBe('the JSON object is invalid: "answer" is {"a":1}, not yes, no or unsure');
    // A bare word is an answer of middling confidence; what is not yes or no is unsure (a case for a person).
    expect(read('"yes"')).toEqual({ answer: 'yes', confidence: 0.5 });
    expect(read('null')).toEqual({ answer: 'unsure', confidence: 0.5 });
    expect(read(JSON.stringify({ ...valid, answer: 'maybe' }))).toEqual({ answer: 'unsure', confidence: 0.8 });
    // Unknown keys are ignored; an invalid object before a valid one does not hide it.
    expect(read(JSON.stringify({ ...valid, verdict: 'pass' }))).toEqual({ answer: 'no', confidence: 0.8 });
    expect(read(`{} then ${json}`)).toEqual({ answer: 'no', confidence: 0.8 });
  });

  it('looks for an object at no more than 32 opening braces', () => {
    expect(problem(`${'{'.repeat(31)} ${json}`)).toBe('ok');
    expect(problem(`${'{'.repeat(32)} ${json}`)).toBe('no JSON object was found in the reply');
  });

  it('finds an object that starts at any position, including the second character', () => {
    expect(problem(`x${json}`)).toBe('ok');
    expect(problem(`xy${json}z`)).toBe('ok');
  });

  it('reads no further than the first 100,000 characters', () => {
    expect(problem(`${'x'.repeat(99_000)} ${json}`)).toBe('ok');
    expect(problem(`${'x'.repeat(100_000)}${json}`)).toBe('no JSON object was found in the reply');
  });

  it('ignores braces inside strings, also after an escaped quote', () => {
    const closing = { ...valid, reason: 'frame 1 shows a } sticker' };
    const r1 = parseModelReply(`Answer: ${JSON.stringify(closing)} ok`);
    expect(r1.ok && r1.value.reason).toBe(closing.reason);
    const escaped = `Answer: {"answer":"no","confidence":0.5,"reason":"frame 1: he said \\"}\\" twice","observations":[],"instructions_in_image":false} ok`;
    const r2 = parseModelReply(escaped);
    expect(r2.ok && r2.value.reason).toBe('frame 1: he said "}" twice');
  });

  it('takes a fenced block even when the braces before it use up the scan', () => {
    const braces = '{'.repeat(32);
    expect(problem(`${braces}\n\`\`\`json\n${json}\n\`\`\``)).toBe('ok');
    expect(problem(`${braces}\n\`\`\`${json}\`\`\``)).toBe('ok');
    expect(problem(`${braces}\n\`\`\`JSON ${json} \`\`\``)).toBe('ok');
  });
});

describe('citedFrames', () => {
  it('reads frame numbers written without spaces, with a spaced #, several digits and tight lists', () => {
    expect(citedFrames('see frame2', 3)).toEqual([2]);
    expect(citedFrames('frame # 2', 3)).toEqual([2]);
    expect(citedFrames('frame 12', 12)).toEqual([12]);
    expect(citedFrames('frames 1,2', 3)).toEqual([1, 2]);
    expect(citedFrames('frames 1 and 12', 12)).toEqual([1, 12]);
    expect(citedFrames('frames 3 to 1', 3)).toEqual([1, 3]);
  });
});

describe('judgeAnswer evidence', () => {
  const judge = (m: Partial<ModelAnswer>, frames = [0, 1, 2]) => judgeAnswer({ ...valid, ...m }, request, frames, keyframes);

  it('shows every frame sent when the image carried instructions', () => {
    expect(judge({ instructions_in_image: true })).toEqual({
      answer: 'unsure', confidence: 0, evidenceFrames: [0, 1, 2], unsureReason: 'instructions_in_image',
      reason: 'the model reported instructions written in the image; a person must look (model said no: frame 2 shows bare hands)',
    });
  });

  it('shows the cited frames of an unsure answer, or every frame sent when it cites none', () => {
    expect(judge({ answer: 'unsure', confidence: 1.5, reason: 'frame 3 is dark' })).toEqual({
      answer: 'unsure', confidence: 1, evidenceFrames: [2], unsureReason: 'model_unsure', reason: 'the model could not tell: frame 3 is dark',
    });
    expect(judge({ answer: 'unsure', confidence: -1, reason: 'too dark', observations: [] })).toEqual({
      answer: 'unsure', confidence: 0, evidenceFrames: [0, 1, 2], unsureReason: 'model_unsure', reason: 'the model could not tell: too dark',
    });
  });

  it('shows every frame sent for a failing answer that cites none', () => {
    expect(judge({ reason: 'no gloves', observations: [] })).toEqual({
      answer: 'unsure', confidence: 0, evidenceFrames: [0, 1, 2], unsureReason: 'no_frame_cited',
      reason: 'the model answered no without citing a frame it was shown: no gloves',
    });
  });

  it('reads citations in the observations too', () => {
    expect(judge({ reason: 'no gloves', observations: ['bare hands', 'frame 3'] })).toMatchObject({ answer: 'no', evidenceFrames: [2] });
  });

  it('does not count a cited frame whose keyframe is missing', () => {
    // Frame 2 of those sent is keyframe 5, which does not exist: the failing answer cites nothing real.
    expect(judge({ reason: 'frame 2 shows bare hands' }, [0, 5])).toMatchObject({ answer: 'unsure', unsureReason: 'no_frame_cited', evidenceFrames: [0, 5] });
    expect(judge({ reason: 'frames 1 and 2 show bare hands' }, [0, 5])).toMatchObject({ answer: 'no', evidenceFrames: [0] });
  });
});
