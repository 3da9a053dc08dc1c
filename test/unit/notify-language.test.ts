// Notifications in the store's language: the language each store's messages use (notify.language, a store's own
// language, validated with the rest of sopwatch.yaml), and the exact texts of a violation, an escalation and a shift
// digest in English and in Simplified Chinese, as plain text, markdown and the chat bots' buttons.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../services/core/config.ts';
import { formatRequest, languageFor, render, toMarkdown, toPlainText, type NotificationMessage, type ViolationFacts } from '../../services/notify/index.ts';
import { parts } from '../../services/rules/message-text.ts';

const live: ViolationFacts = {
  violationId: 'v1', storeId: 's1', storeName: '静安店', cameraName: 'bar-1', sop: 'espresso-bar', rule: 'phone-at-bar',
  ruleTitle: 'No phone at the espresso machine', ruleTitleZh: '咖啡机旁不许用手机', step: null, kind: 'forbidden', severity: 'high',
  when: '2025-03-14 09:00 (Asia/Shanghai)', startIso: '2025-03-14T01:00:00.000Z',
  message: 'a cell phone at machine for 12 s: the SOP does not allow this',
  parts: parts('forbidden', { what: { type: 'object', label: 'cell phone', zone: 'machine' }, durationMs: 12_000 }),
};

/** A clip's violation planned before titles and parts were kept: ids and the English text are all there is. */
const clip: ViolationFacts = {
  violationId: 'v2', storeId: 's1', storeName: '静安店', cameraName: 'bar-1', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp',
  kind: 'missing_step', severity: 'medium', when: 'uploaded clip, 3.0–9.5 s (analysed 2025-03-14 10:00 (Asia/Shanghai))',
  clip: { startS: 3, endS: 9.5, analysed: '2025-03-14 10:00 (Asia/Shanghai)' }, message: 'tamp: not seen within 30 s',
};

/** The same step named by the SOP file, in both languages. */
const titled: ViolationFacts = { ...clip, ruleTitle: 'Grind, then tamp, then brew', ruleTitleZh: '依次磨粉、压粉、萃取', stepTitle: 'Tamp the portafilter', stepTitleZh: '压粉' };

const violation: NotificationMessage = { type: 'violation', facts: live, link: 'https://sop.example.com/violations/v1', suppressed: 2 };
const escalation: NotificationMessage = { type: 'escalation', facts: clip, unreviewedMinutes: 31 };
const digest: NotificationMessage = {
  type: 'digest', storeId: 's1', storeName: '静安店', shiftStartIso: '2025-03-14T06:00:00.000Z', shiftEndIso: '2025-03-14T14:00:00.000Z',
  shiftLabel: '2025-03-14 22:00 (Asia/Shanghai)', link: 'https://sop.example.com/stores/s1/violations',
  summary: { total: 3, bySeverity: { high: 1, medium: 2, low: 0 }, needsReview: 1, unreviewed: 2, topRules: [{ sop: 'espresso-bar', rule: 'phone-at-bar', count: 2 }, { sop: 'espresso-bar', rule: 'shot-sequence', count: 1 }], suppressed: 1 },
};

describe('which language a store\'s messages use', () => {
  const config = (text: string) => parseConfig(text, 'sopwatch.yaml').notify;

  it('is English by default, notify.language for every store, and a store\'s own language by id or name', () => {
    expect(languageFor(config(''), { id: 's1', name: 'Main St' })).toBe('en');
    const n = config('notify:\n  language: zh-CN\n  stores:\n    - { store: "Main St", language: en }\n    - { store: s3 }\n');
    expect(n.language).toBe('zh-CN');
    expect(languageFor(n, { id: 's1', name: 'Main St' })).toBe('en');
    expect(languageFor(n, { id: 's2', name: '静安店' })).toBe('zh-CN');
    expect(languageFor(n, { id: 's3' })).toBe('zh-CN');
    expect(languageFor(config('notify:\n  stores:\n    - { store: s1, language: zh-CN }\n'), { id: 's1' })).toBe('zh-CN');
  });

  it('refuses a language sopwatch does not write, with its line', () => {
    let problems: string[] = [];
    try {
      parseConfig('notify:\n  language: zh-TW\n', 'sopwatch.yaml');
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sopwatch\.yaml:2:13: notify\.language: /);
  });
});

describe('notification texts in English and Simplified Chinese', () => {
  it('a violation: its rule by title, the engine\'s message in the language, what the cooldown held back', () => {
    expect(toPlainText(render(violation, 'en'))).toBe([
      '[HIGH] 静安店 · bar-1 — No phone at the espresso machine',
      '',
      'Store: 静安店',
      'Camera: bar-1',
      'SOP / rule: espresso-bar / No phone at the espresso machine',
      'Kind: forbidden',
      'Severity: high',
      'Time: 2025-03-14 09:00 (Asia/Shanghai)',
      '',
      'a cell phone at machine for 12 s: the SOP does not allow this',
      '(+2 similar on this camera held back by the cooldown since the last message)',
      '',
      'https://sop.example.com/violations/v1',
    ].join('\n'));
    expect(toPlainText(render(violation, 'zh-CN'))).toBe([
      '【高】静安店 · bar-1 — 咖啡机旁不许用手机',
      '',
      '门店：静安店',
      '摄像头：bar-1',
      'SOP / 规则：espresso-bar / 咖啡机旁不许用手机',
      '类型：禁止行为',
      '严重程度：高',
      '时间：2025-03-14 09:00 (Asia/Shanghai)',
      '',
      '在「machine」有手机 12 秒：SOP 不允许',
      '（自上条消息以来，此摄像头另有 2 条类似提醒因冷却时间未发送）',
      '',
      'https://sop.example.com/violations/v1',
    ].join('\n'));
  });

  it('an escalation of a clip\'s violation without parts: ids, the clip\'s offsets in the language, the stored text', () => {
    const en = render(escalation, 'en');
    expect(en.title).toBe('Unreviewed for 31 min: [MEDIUM] 静安店 · bar-1 — shot-sequence');
    expect(en.facts).toEqual([
      ['Store', '静安店'], ['Camera', 'bar-1'], ['SOP / rule', 'espresso-bar / shot-sequence'], ['Step', 'tamp'], ['Kind', 'missing step'],
      ['Severity', 'medium'], ['Time', 'uploaded clip, 3.0–9.5 s (analysed 2025-03-14 10:00 (Asia/Shanghai))'],
    ]);
    expect(en.text).toBe('tamp: not seen within 30 s\nNobody has confirmed or dismissed this medium-severity violation yet.');
    const zh = render(escalation, 'zh-CN');
    expect(zh.title).toBe('已 31 分钟无人处理：【中】静安店 · bar-1 — shot-sequence');
    expect(zh.facts).toEqual([
      ['门店', '静安店'], ['摄像头', 'bar-1'], ['SOP / 规则', 'espresso-bar / shot-sequence'], ['步骤', 'tamp'], ['类型', '缺少步骤'],
      ['严重程度', '中'], ['时间', '上传的视频 3.0–9.5 秒（分析于 2025-03-14 10:00 (Asia/Shanghai)）'],
    ]);
    expect(zh.text).toBe('tamp: not seen within 30 s\n这条严重程度为“中”的违规还没有人确认或驳回。');
  });

  it('a step by its title: "rule: step" in English, "规则：步骤" in Chinese', () => {
    const m: NotificationMessage = { type: 'violation', facts: titled, suppressed: 0 };
    expect(render(m, 'en').title).toBe('[MEDIUM] 静安店 · bar-1 — Grind, then tamp, then brew: Tamp the portafilter');
    expect(render(m, 'zh-CN').title).toBe('【中】静安店 · bar-1 — 依次磨粉、压粉、萃取：压粉');
    expect(render(m, 'zh-CN').facts[3]).toEqual(['步骤', '压粉']);
    expect(render(m, 'en').facts[3]).toEqual(['Step', 'Tamp the portafilter']);
  });

  it('a shift digest, as the markdown of the chat bots', () => {
    expect(toMarkdown(render(digest, 'en'))).toBe([
      '### Shift summary — 静安店, shift ending 2025-03-14 22:00 (Asia/Shanghai)',
      '**Store:** 静安店',
      '**Violations:** 3 (high 1, medium 2, low 0)',
      '**Awaiting review:** 2 (of which doubtful: 1)',
      '**Held back by cooldown:** 1',
      '**Most frequent:** espresso-bar / phone-at-bar: 2; espresso-bar / shot-sequence: 1',
      '',
      'Open the dashboard to review them.',
      '',
      '[Open in sopwatch](https://sop.example.com/stores/s1/violations)',
    ].join('\n'));
    expect(toMarkdown(render(digest, 'zh-CN'))).toBe([
      '### 班次汇总 — 静安店，班次结束于 2025-03-14 22:00 (Asia/Shanghai)',
      '**门店：** 静安店',
      '**违规：** 3（高 1，中 2，低 0）',
      '**待复核：** 2（其中存疑：1）',
      '**因冷却时间未发送：** 1',
      '**最常见：** espresso-bar / phone-at-bar: 2；espresso-bar / shot-sequence: 1',
      '',
      '请打开控制台复核。',
      '',
      '[在 sopwatch 中打开](https://sop.example.com/stores/s1/violations)',
    ].join('\n'));
    const quiet: NotificationMessage = { ...digest, summary: { ...digest.summary, total: 0, topRules: [] } };
    expect(render(quiet, 'zh-CN').text).toBe('本班次没有记录到违规。');
    expect(render(quiet, 'zh-CN').facts[4]).toEqual(['最常见', '无']);
    expect(render(quiet, 'en').text).toBe('No violations were recorded in this shift.');
  });

  it('the bots\' buttons say "open" in the message\'s language', () => {
    const input = (rendered: ReturnType<typeof render>, type: 'feishu' | 'slack') => formatRequest({
      type, url: 'https://bot.example.com/hook', message: violation, rendered, idempotencyKey: 'sw-1', nowMs: 0,
    }).body;
    expect(JSON.stringify(input(render(violation, 'zh-CN'), 'feishu'))).toContain('"content":"在 sopwatch 中打开"');
    expect(JSON.stringify(input(render(violation, 'zh-CN'), 'slack'))).toContain('"text":"在 sopwatch 中打开"');
    expect(JSON.stringify(input(render(violation, 'en'), 'slack'))).toContain('"text":"Open in sopwatch"');
  });
});
