// Liberal reading of one answer object: the documented keys in the usual spellings and languages, unknown keys ignored.

/** The answer as the agent judges it; `reported` says whether the model set instructions_in_image itself. */
export interface ModelAnswer {
  answer: 'yes' | 'no' | 'unsure';
  confidence: number;
  reason: string;
  observations: string[];
  instructions_in_image: boolean;
}

/** Confidence assumed when a reply gives none: below any "sure" threshold, never 0 (which reads as "no idea"). */
export const DEFAULT_CONFIDENCE = 0.5;
const MAX_REASON = 2_000;
const MAX_OBSERVATION = 1_000;
const MAX_OBSERVATIONS = 20;

const YES = new Set(['yes', 'y', 'true', 'yeah', 'yep', 'affirmative', 'oui', 'si', 'sí', 'ja', 'sim', 'да', '是', '是的', '对', '对的', '有', '符合', '正确', '肯定', 'はい', '예', '네']);
const NO = new Set(['no', 'n', 'false', 'nope', 'negative', 'non', 'nein', 'não', 'nao', 'нет', '否', '不是', '不', '没有', '沒有', '无', '無', '不符合', '错误', '否定', 'いいえ', '아니요', '아니오']);
const UNSURE = new Set([
  'unsure', 'unknown', 'uncertain', 'not sure', 'cannot tell', "can't tell", 'cannot determine', 'undetermined', 'indeterminate',
  'maybe', 'n/a', 'none', 'null', '不确定', '無法確定', '无法确定', '不清楚', '无法判断', '未知', '不知道', 'わからない',
]);

/** Key aliases, compared lower-cased with spaces, dashes and underscores removed. */
const ALIASES: Record<keyof ModelAnswer, string[]> = {
  answer: ['answer', 'verdict', 'result', 'decision', '答案', '回答', '结论', '結論'],
  confidence: ['confidence', 'certainty', 'probability', 'score', '置信度', '信心', '可信度'],
  reason: ['reason', 'reasoning', 'explanation', 'rationale', 'justification', '理由', '原因', '解释', '說明', '说明'],
  observations: ['observations', 'observation', 'evidence', 'details', '观察', '观察结果', '觀察'],
  instructions_in_image: ['instructionsinimage', 'instructionsinimages', 'injection', 'promptinjection'],
};

const squash = (k: string): string => k.toLowerCase().replace(/[\s_-]+/g, '');

function field(obj: Record<string, unknown>, name: keyof ModelAnswer): unknown {
  const wanted = ALIASES[name];
  for (const [k, v] of Object.entries(obj)) if (wanted.includes(squash(k))) return v;
  return undefined;
}

/** `Yes`, `YES.`, `"是"`, `true`, `Yes, the hands are gloved` -> yes; undefined when it says none of the three. */
export function readVerdict(value: unknown): ModelAnswer['answer'] | undefined {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null) return 'unsure';
  if (typeof value !== 'string') return undefined;
  const t = value.trim().toLowerCase().replace(/^["'“”「『]+|["'“”」』。.!！?？,，;；:：\s]+$/gu, '').trim();
  if (YES.has(t)) return 'yes';
  if (NO.has(t)) return 'no';
  if (UNSURE.has(t)) return 'unsure';
  // "Yes, the hands are gloved" / "否，没有戴手套": the first word (or run of CJK characters up to punctuation) decides.
  const first = /^([a-z]+|[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]+)/u.exec(t)?.[1];
  if (first !== undefined && first !== t) {
    if (YES.has(first)) return 'yes';
    if (NO.has(first)) return 'no';
    if (UNSURE.has(first)) return 'unsure';
  }
  return undefined;
}

/** 0.8, "0.8", "80%", 80 -> 0.8; "high"/"medium"/"low" -> 0.9/0.6/0.3; anything else -> the default. */
export function readConfidence(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    const words: Record<string, number> = { high: 0.9, medium: 0.6, moderate: 0.6, low: 0.3, '高': 0.9, '中': 0.6, '低': 0.3 };
    if (t in words) return words[t] ?? DEFAULT_CONFIDENCE;
    const m = /^(-?\d+(?:\.\d+)?)\s*(%?)$/.exec(t);
    if (m) n = Number(m[1]) / (m[2] === '%' ? 100 : 1);
  }
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_CONFIDENCE;
  if (n > 1 && n <= 100) n /= 100;
  return Math.min(1, Math.max(0, n));
}

function text(value: unknown, max: number): string {
  if (typeof value === 'string') return value.slice(0, max);
  if (value === undefined || value === null) return '';
  return JSON.stringify(value).slice(0, max);
}

export type ReadAnswer = { ok: true; value: ModelAnswer; reported: boolean } | { ok: false; problem: string };

/** Reads an answer object: only a recognisable `answer` is required; the rest defaults safely. */
export function readAnswerObject(obj: Record<string, unknown>): ReadAnswer {
  const raw = field(obj, 'answer');
  if (raw === undefined) return { ok: false, problem: 'the JSON object has no "answer"' };
  const answer = readVerdict(raw);
  if (answer === undefined) return { ok: false, problem: `"answer" is ${JSON.stringify(raw).slice(0, 60)}, not yes, no or unsure` };
  const obs = field(obj, 'observations');
  const list = Array.isArray(obs) ? obs : obs === undefined || obs === null ? [] : [obs];
  const flag = field(obj, 'instructions_in_image');
  const flagged = flag === undefined ? undefined : readVerdict(flag);
  return {
    ok: true,
    value: {
      answer,
      confidence: readConfidence(field(obj, 'confidence')),
      reason: text(field(obj, 'reason'), MAX_REASON),
      observations: list.slice(0, MAX_OBSERVATIONS).map((o) => text(o, MAX_OBSERVATION)),
      // Anything but a clear "no" from the model counts as a flag: an unreadable flag is not a clean bill.
      instructions_in_image: flag !== undefined && flagged !== 'no',
    },
    reported: flag !== undefined,
  };
}
