// Generated messages as data: the engine writes a code and values, and each reader gets them in English or Chinese,
// with the SOP's own names (zones, step titles) and the model's text kept apart as user text.
import { describe, expect, it } from 'vitest';
import type { MessageParts } from '../../services/core/contracts.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { messageText, parts, renderMessage, titleIn } from '../../services/rules/message-text.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { answer, CAMERA, durationRule, forbiddenRule, hand, handsIn, objectIn, person, personIn, run, stream, thing } from './engine-fixtures.ts';

const LATIN_WORD = /[A-Za-z]{2,}/;

/** The text outside user segments, which must hold no English word in Chinese (SOP is the product's own word). */
function ownWords(p: MessageParts | undefined): string {
  return (renderMessage(p, 'zh') ?? []).filter((s) => s.user !== true).map((s) => s.text).join('|').replace(/\bSOP\b/g, '');
}

describe('messages from the engine, in both languages', () => {
  it('a too short visit: the duration and the SOP minimum, the zone as user text', () => {
    const rule = durationRule({ id: 'visit-min', when: personIn('table'), minMs: 14_000 });
    const { violations } = run([rule], stream([{ from: 0, to: 12_000, obs: person('p:1', 'table') }], { to: 15_000 }));
    const v = violations[0];
    expect(v?.parts).toEqual({ code: 'too_short', values: { what: { type: 'person_in', zone: 'table' }, durationMs: 12_000, minMs: 14_000 } });
    expect(messageText(v?.parts, 'en', '')).toBe('a person at table for 12 s; the SOP asks at least 14 s');
    expect(messageText(v?.parts, 'zh', '')).toBe('有人在「table」 12 秒；SOP 要求至少 14 秒');
    expect(renderMessage(v?.parts, 'zh')).toEqual([{ text: '有人在「' }, { text: 'table', user: true }, { text: '」 12 秒；SOP 要求至少 14 秒' }]);
    expect(ownWords(v?.parts)).not.toMatch(LATIN_WORD);
  });

  it('a forbidden phone: the COCO label is translated, the zone is not', () => {
    const rule = forbiddenRule({ id: 'no-phone', when: objectIn('cell phone', 'machine'), forMs: 3_000 });
    const { violations } = run([rule], stream([{ from: 0, to: 5_000, obs: thing('cell phone', 'machine') }], { to: 7_000 }));
    const p = violations[0]?.parts;
    expect(p?.code).toBe('forbidden');
    expect(messageText(p, 'en', '')).toBe('a cell phone at machine for 3 s: the SOP does not allow this');
    expect(messageText(p, 'zh', '')).toBe('在「machine」有手机 3 秒：SOP 不允许');
    expect(ownWords(p)).not.toMatch(LATIN_WORD);
  });

  it('a missing step names the step by its Chinese title when the SOP file gives one', () => {
    const loaded = loadSopText(`id: bar
title: Bar
title_zh: 吧台
version: 1
cameras: [bar-1]
zones:
  bar-1:
    door: [[0, 0], [0.2, 0], [0.2, 1]]
    sink: [[0.3, 0], [0.5, 0], [0.5, 1]]
rules:
  - id: wash-first
    kind: sequence
    title: Wash first
    title_zh: 先洗手
    trigger: { person_in: door }
    within: 30s
    idle: 60s
    steps:
      - id: wash
        title: Wash hands
        title_zh: 洗手
        detect: { hands_in: sink, min: 2s }
`, 'bar.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    expect(loaded.sop.titleZh).toBe('吧台');
    const rule = loaded.sop.rules[0];
    expect(rule?.titleZh).toBe('先洗手');
    const engine = createRuleEngine([loaded.sop], { cameraId: CAMERA });
    const frames = stream([{ from: 0, to: 1_000, obs: person('p:1', 'door') }], { to: 45_000 });
    const verdicts = [...frames.flatMap((f) => engine.push(f)), ...engine.finish(45_000)];
    const v = verdicts.flatMap((x) => (x.type === 'violation' ? [x.violation] : []))[0];
    expect(v?.kind).toBe('timeout');
    expect(messageText(v?.parts, 'en', '')).toBe('Wash hands: not seen within 30 s');
    expect(messageText(v?.parts, 'zh', '')).toBe('洗手：30 秒内没有看到');
  });

  it('with no model, a review says so once, without the placeholder reason in brackets', () => {
    const rule = forbiddenRule({ id: 'gloves', when: handsIn('prep'), verify: { question: 'Gloves on?', expect: 'yes', frames: 3 } });
    const { engine, requests } = run([rule], stream([{ from: 0, to: 2_000, obs: hand('p:1', 'prep') }]));
    const id = requests[0]?.id ?? '';
    const out = engine.resolveVerify(id, answer('unsure', { decidedBy: 'none', reason: 'no vision model is configured: a person must check' }));
    const item = out.flatMap((x) => (x.type === 'needs_review' ? [x.item] : []))[0];
    expect(item?.reasonParts).toEqual({ code: 'no_model', values: {} });
    expect(messageText(item?.reasonParts, 'en', '')).toBe('no vision model could answer: a person must check');
    expect(messageText(item?.reasonParts, 'zh', '')).toBe('没有可用的视觉模型回答，需要人来判断');
  });

  it('a model answer keeps the model\'s words as user text, and translates yes/no', () => {
    const p = parts('step_answered', { step: { id: 'tamp', title: { en: 'Tamp', 'zh-CN': '压粉' } }, answer: 'no', reason: 'no tamper visible' });
    expect(messageText(p, 'en', '')).toBe('Tamp: the model answered no (no tamper visible)');
    expect(renderMessage(p, 'zh')).toEqual([
      { text: '压粉', user: true }, { text: '：模型的回答：否（模型原话：“' }, { text: 'no tamper visible', user: true }, { text: '”）' },
    ]);
  });

  it('every code renders in both languages with no English outside user text in Chinese', () => {
    const what = { type: 'count', of: 'person', zone: 'bar', gte: 2 } as const;
    const step = { id: 'grind' };
    const all: MessageParts[] = [
      parts('too_short', { what, durationMs: 12_000, minMs: 14_000 }),
      parts('too_long', { what, durationMs: 200_000, maxMs: 180_000 }),
      parts('too_long_ongoing', { what, maxMs: 60_000 }),
      parts('gap', { what: { type: 'not', of: { type: 'person_in', zone: 'till' } }, durationMs: 400_000, maxGapMs: 300_000 }),
      parts('gap_ongoing', { what: { type: 'any', of: [personIn('till'), handsIn('till')] }, maxGapMs: 300_000 }),
      parts('forbidden', { what: objectIn('knife'), count: 3 }),
      parts('forbidden_answered', { what: objectIn('cup', 'bar'), durationMs: 4_000, answer: 'yes', reason: 'r' }),
      parts('out_of_order', { seen: [step, { id: 'tamp' }], asked: [{ id: 'tamp' }, step] }),
      parts('missing_step_skipped', { step, later: { id: 'brew' }, withinMs: 90_000 }),
      parts('missing_step_idle', { step, idleMs: 10_000 }),
      parts('timeout', { step, withinMs: 90_000 }),
      parts('step_answered', { step, answer: 'unsure', reason: 'r' }),
      parts('recording_ended_short', { what, durationMs: 3_000, minMs: 20_000 }),
      parts('recording_ended_run', { afterMs: 5_000, missing: [step], seen: [] }),
      parts('recording_ended_run', { afterMs: 5_000, missing: [], seen: [step] }),
      parts('model_unsure', { step, reason: 'blurry' }),
      parts('no_model', {}),
    ];
    for (const p of all) {
      expect(renderMessage(p, 'en'), p.code).toBeDefined();
      expect(ownWords(p), p.code).not.toMatch(LATIN_WORD);
      expect(ownWords(p), p.code).not.toBe('');
    }
    expect(messageText(all[1], 'en', '')).toBe('at least 2 person at bar for 3.3 min; the SOP allows at most 3 min');
    expect(messageText(all[1], 'zh', '')).toBe('在「bar」至少 2 个人 3.3 分钟；SOP 最多允许 3 分钟');
  });

  it('unknown codes and damaged values fall back to the stored text', () => {
    expect(messageText({ code: 'from_the_future', values: {} }, 'zh', 'stored')).toBe('stored');
    expect(messageText({ code: 'too_short', values: {} }, 'zh', 'stored')).toBe('stored');
    expect(messageText(null, 'en', 'stored')).toBe('stored');
  });

  it('titles: Chinese when written, else English; the plain string form is the same for both', () => {
    expect(titleIn('Wash', 'zh')).toBe('Wash');
    expect(titleIn({ en: 'Wash', 'zh-CN': '洗手' }, 'zh')).toBe('洗手');
    expect(titleIn({ en: 'Wash', 'zh-CN': '洗手' }, 'en')).toBe('Wash');
    expect(titleIn({ en: 'Wash' }, 'zh')).toBe('Wash');
  });
});
