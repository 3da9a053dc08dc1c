// The engine's messages as data (a code and its values) and their words in English and Simplified Chinese.
// Pure: the dashboard imports it to render a violation in the viewer's language; names from the SOP file and
// the model's own text come out as user segments, never translated.
import type { MessageParts } from '../core/message-parts.ts';

/** The engine's condition tree (compiled.ts `Condition`), restated so that the dashboard can import this file alone. */
export type Condition =
  | { type: 'person_in'; zone: string }
  | { type: 'hands_in'; zone: string }
  | { type: 'object'; label: string; zone: string; minScore?: number }
  | { type: 'count'; of: string; zone: string; gte?: number; lte?: number }
  | { type: 'all'; of: Condition[] }
  | { type: 'any'; of: Condition[] }
  | { type: 'not'; of: Condition };

export type MessageLang = 'en' | 'zh';

/** A title the SOP file may give in several languages: `en` always, `zh-CN` when written. */
export type Titled = string | Readonly<Record<string, string>>;

/** A piece of a rendered message; `user`: a name or text that came from a person or the model, shown as written. */
export interface Segment {
  text: string;
  user?: true;
}

/** The phrase of a step: its id, and its title(s) when the SOP gives one. */
export interface StepRef {
  id: string;
  title?: Titled;
}

/** Every message the engine writes, by code. Durations in ms. */
export interface MessageValues {
  too_short: { what: Condition; durationMs: number; minMs: number };
  too_long: { what: Condition; durationMs: number; maxMs: number };
  too_long_ongoing: { what: Condition; maxMs: number };
  gap: { what: Condition; durationMs: number; maxGapMs: number };
  gap_ongoing: { what: Condition; maxGapMs: number };
  forbidden: { what: Condition; durationMs?: number; count?: number };
  forbidden_answered: { what: Condition; durationMs: number; count?: number; answer: string; reason: string };
  out_of_order: { seen: StepRef[]; asked: StepRef[] };
  missing_step_skipped: { step: StepRef; later: StepRef; withinMs: number };
  missing_step_idle: { step: StepRef; idleMs: number };
  timeout: { step: StepRef; withinMs: number };
  step_answered: { step: StepRef; answer: string; reason: string };
  recording_ended_short: { what: Condition; durationMs: number; minMs: number };
  recording_ended_run: { afterMs: number; missing: StepRef[]; seen: StepRef[] };
  model_unsure: { step?: StepRef; reason: string };
  no_model: { step?: StepRef };
}

export type MessageCode = keyof MessageValues;

/** Builds the parts of one message; the values must be plain JSON (they are stored). */
export function parts<C extends MessageCode>(code: C, values: MessageValues[C]): MessageParts {
  return { code, values: JSON.parse(JSON.stringify(values)) as Record<string, unknown> };
}

/** Durations a manager reads: `12.4 s` / `12.4 秒`, `5 min` / `5 分钟`. */
export function durationText(ms: number, lang: MessageLang): string {
  if (!Number.isFinite(ms)) return String(ms);
  const round = (n: number): string => String(Math.round(n * 10) / 10);
  if (Math.abs(ms) < 120_000) return lang === 'zh' ? `${round(ms / 1000)} 秒` : `${round(ms / 1000)} s`;
  return lang === 'zh' ? `${round(ms / 60_000)} 分钟` : `${round(ms / 60_000)} min`;
}

/** A title in the viewer's language: `zh-CN` (or `zh`) for Chinese when written, else English, else the first. */
export function titleIn(title: Titled | undefined, lang: MessageLang): string | undefined {
  if (title === undefined) return undefined;
  if (typeof title === 'string') return title === '' ? undefined : title;
  const pick = lang === 'zh' ? (title['zh-CN'] ?? title.zh ?? title.en) : (title.en ?? title['zh-CN'] ?? title.zh);
  return pick ?? Object.values(title)[0];
}

/** COCO labels the detector knows, in Chinese; any other label is shown as written. */
const COCO_ZH: Record<string, string> = {
  person: '人', bicycle: '自行车', car: '汽车', motorcycle: '摩托车', bus: '公交车', truck: '卡车', bird: '鸟', cat: '猫', dog: '狗',
  backpack: '背包', umbrella: '雨伞', handbag: '手提包', tie: '领带', suitcase: '行李箱', bottle: '瓶子', 'wine glass': '酒杯',
  cup: '杯子', fork: '叉子', knife: '刀', spoon: '勺子', bowl: '碗', banana: '香蕉', apple: '苹果', sandwich: '三明治',
  orange: '橙子', broccoli: '西兰花', carrot: '胡萝卜', 'hot dog': '热狗', pizza: '披萨', donut: '甜甜圈', cake: '蛋糕',
  chair: '椅子', couch: '沙发', 'potted plant': '盆栽', bed: '床', 'dining table': '餐桌', toilet: '马桶', tv: '电视',
  laptop: '笔记本电脑', mouse: '鼠标', remote: '遥控器', keyboard: '键盘', 'cell phone': '手机', microwave: '微波炉',
  oven: '烤箱', toaster: '烤面包机', sink: '水槽', refrigerator: '冰箱', book: '书', clock: '时钟', vase: '花瓶',
  scissors: '剪刀', 'teddy bear': '玩具熊', 'hair drier': '吹风机', toothbrush: '牙刷', hand: '手', hands: '手', face: '脸',
};

const SCENE = '*';
/** The model's reason is its own text, in whatever language it wrote: in Chinese it is quoted and labelled as such. */
const MODEL_WORDS_ZH = '模型原话：';

class Out {
  readonly segs: Segment[] = [];
  text(t: string): this {
    if (t === '') return this;
    const last = this.segs[this.segs.length - 1];
    if (last !== undefined && last.user === undefined) last.text += t;
    else this.segs.push({ text: t });
    return this;
  }
  user(t: string): this {
    this.segs.push({ text: t, user: true });
    return this;
  }
}

function label(o: Out, name: string, lang: MessageLang): void {
  if (lang === 'en') o.text(name);
  else if (COCO_ZH[name] !== undefined) o.text(COCO_ZH[name]);
  else o.user(name);
}

function zone(o: Out, z: string, lang: MessageLang): void {
  if (z === SCENE) return;
  if (lang === 'zh') o.text('在「').user(z).text('」');
  else o.text(' at ').user(z);
}

/** The condition as a phrase: `a person at table` / `有人在「table」`. */
function condition(o: Out, c: Condition, lang: MessageLang, nested = false): void {
  const zh = lang === 'zh';
  switch (c.type) {
    case 'person_in':
      if (c.zone === SCENE) o.text(zh ? '有人' : 'a person');
      else if (zh) o.text('有人在「').user(c.zone).text('」');
      else o.text('a person at ').user(c.zone);
      return;
    case 'hands_in':
      o.text(zh ? '手' : 'hands');
      zone(o, c.zone, lang);
      return;
    case 'object':
      if (zh) {
        zone(o, c.zone, lang);
        o.text(c.zone === SCENE ? '出现' : '有');
        label(o, c.label, lang);
      } else {
        o.text('a ');
        label(o, c.label, lang);
        zone(o, c.zone, lang);
      }
      return;
    case 'count': {
      const b = (x: number | undefined, y: number | undefined): string => {
        if (x !== undefined && y !== undefined) return x === y ? (zh ? `正好 ${x} 个` : `exactly ${x}`) : (zh ? `${x} 到 ${y} 个` : `${x} to ${y}`);
        if (x !== undefined) return zh ? `至少 ${x} 个` : `at least ${x}`;
        if (y !== undefined) return zh ? `至多 ${y} 个` : `at most ${y}`;
        return zh ? '任意数量的' : 'any number of';
      };
      if (zh) {
        zone(o, c.zone, lang);
        o.text(`${b(c.gte, c.lte)}`);
        label(o, c.of, lang);
      } else {
        o.text(`${b(c.gte, c.lte)} `);
        label(o, c.of, lang);
        zone(o, c.zone, lang);
      }
      return;
    }
    case 'all':
    case 'any': {
      if (nested) o.text(zh ? '（' : '(');
      c.of.forEach((x, i) => {
        if (i > 0) o.text(c.type === 'all' ? (zh ? '且' : ' and ') : (zh ? '或' : ' or '));
        condition(o, x, lang, true);
      });
      if (nested) o.text(zh ? '）' : ')');
      return;
    }
    case 'not':
      o.text(zh ? '没有' : 'no ');
      condition(o, c.of, lang, true);
      return;
  }
}

function step(o: Out, s: StepRef, lang: MessageLang): void {
  o.user(titleIn(s.title, lang) ?? s.id);
}

function steps(o: Out, list: StepRef[], lang: MessageLang): void {
  list.forEach((s, i) => {
    if (i > 0) o.text(lang === 'zh' ? '、' : ', ');
    step(o, s, lang);
  });
}

function answerWord(a: string, lang: MessageLang): string {
  if (lang === 'en') return a;
  return a === 'yes' ? '是' : a === 'no' ? '否' : '不确定';
}

function count(o: Out, n: number | undefined, lang: MessageLang): void {
  if (n !== undefined && n > 1) o.text(lang === 'zh' ? `（同时 ${n} 人）` : `, ${n} at once`);
}

function render(o: Out, code: MessageCode, v: MessageValues[MessageCode], lang: MessageLang): boolean {
  const zh = lang === 'zh';
  const d = (ms: number): string => durationText(ms, lang);
  switch (code) {
    case 'too_short': {
      const x = v as MessageValues['too_short'];
      condition(o, x.what, lang);
      o.text(zh ? ` ${d(x.durationMs)}；SOP 要求至少 ${d(x.minMs)}` : ` for ${d(x.durationMs)}; the SOP asks at least ${d(x.minMs)}`);
      return true;
    }
    case 'too_long': {
      const x = v as MessageValues['too_long'];
      condition(o, x.what, lang);
      o.text(zh ? ` ${d(x.durationMs)}；SOP 最多允许 ${d(x.maxMs)}` : ` for ${d(x.durationMs)}; the SOP allows at most ${d(x.maxMs)}`);
      return true;
    }
    case 'too_long_ongoing': {
      const x = v as MessageValues['too_long_ongoing'];
      condition(o, x.what, lang);
      o.text(zh ? `已超过 SOP 允许的 ${d(x.maxMs)}` : ` for longer than the ${d(x.maxMs)} the SOP allows`);
      return true;
    }
    case 'gap': {
      const x = v as MessageValues['gap'];
      o.text(zh ? `${d(x.durationMs)}内没有看到` : `not seen for ${d(x.durationMs)}: `);
      condition(o, x.what, lang);
      o.text(zh ? `；SOP 最多允许间隔 ${d(x.maxGapMs)}` : `; the SOP allows a gap of at most ${d(x.maxGapMs)}`);
      return true;
    }
    case 'gap_ongoing': {
      const x = v as MessageValues['gap_ongoing'];
      o.text(zh ? `超过 ${d(x.maxGapMs)}没有看到` : `not seen for more than ${d(x.maxGapMs)}: `);
      condition(o, x.what, lang);
      o.text(zh ? '（SOP 允许的最长间隔）' : ' (the longest gap the SOP allows)');
      return true;
    }
    case 'forbidden': {
      const x = v as MessageValues['forbidden'];
      condition(o, x.what, lang);
      if (x.durationMs !== undefined) o.text(zh ? ` ${d(x.durationMs)}` : ` for ${d(x.durationMs)}`);
      count(o, x.count, lang);
      o.text(zh ? '：SOP 不允许' : ': the SOP does not allow this');
      return true;
    }
    case 'forbidden_answered': {
      const x = v as MessageValues['forbidden_answered'];
      condition(o, x.what, lang);
      o.text(zh ? ` ${d(x.durationMs)}` : ` for ${d(x.durationMs)}`);
      count(o, x.count, lang);
      o.text(zh ? `；模型的回答：${answerWord(x.answer, lang)}（${MODEL_WORDS_ZH}“` : `; the model answered ${x.answer} (`).user(x.reason).text(zh ? '”）' : ')');
      return true;
    }
    case 'out_of_order': {
      const x = v as MessageValues['out_of_order'];
      o.text(zh ? '步骤顺序不对：看到的顺序是 ' : 'steps out of order: seen ');
      steps(o, x.seen, lang);
      o.text(zh ? '；SOP 要求 ' : '; the SOP asks ');
      steps(o, x.asked, lang);
      return true;
    }
    case 'missing_step_skipped': {
      const x = v as MessageValues['missing_step_skipped'];
      step(o, x.step, lang);
      o.text(zh ? '：没有看到，但看到了 ' : ': not seen, though ');
      step(o, x.later, lang);
      o.text(zh ? `（${d(x.withinMs)}内）` : ` was (within ${d(x.withinMs)})`);
      return true;
    }
    case 'missing_step_idle': {
      const x = v as MessageValues['missing_step_idle'];
      step(o, x.step, lang);
      o.text(zh ? `：流程结束前没有看到（已 ${d(x.idleMs)}无动作）` : `: not seen before the run ended (no activity for ${d(x.idleMs)})`);
      return true;
    }
    case 'timeout': {
      const x = v as MessageValues['timeout'];
      step(o, x.step, lang);
      o.text(zh ? `：${d(x.withinMs)}内没有看到` : `: not seen within ${d(x.withinMs)}`);
      return true;
    }
    case 'step_answered': {
      const x = v as MessageValues['step_answered'];
      step(o, x.step, lang);
      o.text(zh ? `：模型的回答：${answerWord(x.answer, lang)}（${MODEL_WORDS_ZH}“` : `: the model answered ${x.answer} (`).user(x.reason).text(zh ? '”）' : ')');
      return true;
    }
    case 'recording_ended_short': {
      const x = v as MessageValues['recording_ended_short'];
      o.text(zh ? '录像在' : 'the recording ended during ');
      condition(o, x.what, lang);
      o.text(zh ? `时结束（此前 ${d(x.durationMs)}）；SOP 要求至少 ${d(x.minMs)}` : ` (${d(x.durationMs)} so far); the SOP asks at least ${d(x.minMs)}`);
      return true;
    }
    case 'recording_ended_run': {
      const x = v as MessageValues['recording_ended_run'];
      o.text(zh ? `录像在流程开始 ${d(x.afterMs)}后结束；` : `the recording ended ${d(x.afterMs)} into the run; `);
      if (x.missing.length > 0) {
        o.text(zh ? '尚未看到：' : 'not seen yet: ');
        steps(o, x.missing, lang);
      } else {
        o.text(zh ? '目前看到的步骤顺序不对：' : 'steps seen out of order so far: ');
        steps(o, x.seen, lang);
      }
      return true;
    }
    case 'model_unsure': {
      const x = v as MessageValues['model_unsure'];
      if (x.step !== undefined) {
        step(o, x.step, lang);
        o.text(zh ? '：' : ': ');
      }
      o.text(zh ? `模型无法确定（${MODEL_WORDS_ZH}“` : 'the model was unsure (').user(x.reason).text(zh ? '”）' : ')');
      return true;
    }
    case 'no_model': {
      const x = v as MessageValues['no_model'];
      if (x.step !== undefined) {
        step(o, x.step, lang);
        o.text(zh ? '：' : ': ');
      }
      o.text(zh ? '没有可用的视觉模型回答，需要人来判断' : 'no vision model could answer: a person must check');
      return true;
    }
  }
}

const CODES: ReadonlySet<string> = new Set<MessageCode>([
  'too_short', 'too_long', 'too_long_ongoing', 'gap', 'gap_ongoing', 'forbidden', 'forbidden_answered', 'out_of_order',
  'missing_step_skipped', 'missing_step_idle', 'timeout', 'step_answered', 'recording_ended_short', 'recording_ended_run',
  'model_unsure', 'no_model',
]);

/** The message in one language as segments; undefined for a code this version does not know (show the stored text). */
export function renderMessage(p: MessageParts | null | undefined, lang: MessageLang): Segment[] | undefined {
  if (p === null || p === undefined || !CODES.has(p.code)) return undefined;
  const o = new Out();
  try {
    render(o, p.code as MessageCode, p.values, lang);
  } catch {
    // Values of an older or damaged row: the stored text is shown instead.
    return undefined;
  }
  return o.segs;
}

/** The message as one string, or `fallback` when the parts cannot be rendered. */
export function messageText(p: MessageParts | null | undefined, lang: MessageLang, fallback: string): string {
  return renderMessage(p, lang)?.map((s) => s.text).join('') ?? fallback;
}
