// The model's reply: recovered from fences, chatter, <think> blocks or reasoning_content, read liberally, judged strictly.
import { Type } from '@sinclair/typebox';
import type { VerifyRequest } from '../core/contracts.ts';
import { readAnswerObject, readVerdict, type ModelAnswer } from './answer-fields.ts';
import { injectionSigns } from './injection-signs.ts';
import type { Keyframe, UnsureReason } from './types.ts';

export type { ModelAnswer } from './answer-fields.ts';

/**
 * The shape asked for in response_format. Strict json_schema modes (OpenAI, Azure) require every property to be
 * listed in `required`, so the extension key stays here; replies are read liberally (answer-fields.ts), and a
 * reply without it, or with only the four documented keys, is still an answer.
 */
export const ModelAnswerSchema = Type.Object(
  {
    answer: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('unsure')]),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    reason: Type.String({ maxLength: 2_000 }),
    observations: Type.Array(Type.String({ maxLength: 1_000 }), { maxItems: 20 }),
    instructions_in_image: Type.Boolean(),
  },
  { additionalProperties: false },
);

/**
 * The same schema for response_format, in the subset every provider's constrained decoding accepts: plain JSON
 * (no TypeBox symbols, no $schema, which Gemini rejects), `enum` instead of `anyOf` of constants, and no length
 * limits (older strict modes refuse them). The replies are still validated against the full schema.
 */
function wireSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(wireSchema);
  if (typeof node !== 'object' || node === null) return node;
  const obj = node as Record<string, unknown>;
  const consts = Array.isArray(obj.anyOf) ? (obj.anyOf as Array<Record<string, unknown>>).map((b) => b.const) : undefined;
  if (consts?.every((c) => typeof c === 'string')) return { type: 'string', enum: consts };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k !== 'maxLength' && k !== 'minLength' && k !== 'maxItems' && k !== '$schema') out[k] = wireSchema(v);
  return out;
}
export const MODEL_ANSWER_JSON_SCHEMA = wireSchema(JSON.parse(JSON.stringify(ModelAnswerSchema))) as Record<string, unknown>;

/** Longest reply text searched for JSON: bounds the work a runaway reply can cause. */
const MAX_SCAN_CHARS = 100_000;
const MAX_OBJECT_STARTS = 32;

export type ParsedReply =
  | { ok: true; value: ModelAnswer; text: string; reported: boolean }
  | { ok: false; problem: string; text: string };

function partText(content: unknown): string {
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  }
  return typeof content === 'string' ? content : '';
}

/** The text that should hold the answer: `content`, or `reasoning_content` when content is empty. */
export function replyText(content: unknown, reasoning: unknown): string {
  const fromContent = partText(content);
  if (fromContent.trim() !== '') return fromContent;
  return typeof reasoning === 'string' ? reasoning : '';
}

/** Balanced {...} substrings, outside string literals, in order of appearance. */
function balancedObjects(text: string): string[] {
  const out: string[] = [];
  let starts = 0;
  for (let i = text.indexOf('{'); i !== -1 && starts < MAX_OBJECT_STARTS; i = text.indexOf('{', i + 1), starts++) {
    let depth = 0;
    let inString = false;
    for (let j = i; j < text.length; j++) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        out.push(text.slice(i, j + 1));
        break;
      }
    }
  }
  return out;
}

/** Reasoning blocks (`<think>`, `<thinking>`, `<reasoning>`) removed; an unclosed one at the start hides nothing after it. */
export function withoutReasoning(text: string): string {
  return text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi, ' ').replace(/^\s*<\/?(think|thinking|reasoning)>/i, '');
}

function candidates(text: string): string[] {
  const trimmed = withoutReasoning(text.slice(0, MAX_SCAN_CHARS)).trim();
  const fenced = [...trimmed.matchAll(/```[a-zA-Z]*\s*([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim());
  return [trimmed, ...fenced, ...balancedObjects(trimmed)];
}

/** Finds and reads the answer object in a reply (the text after any reasoning block first). */
export function parseModelReply(text: string): ParsedReply {
  if (text.trim() === '') return { ok: false, problem: 'the reply was empty', text };
  let problem: string | undefined;
  for (const candidate of candidates(text)) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const read = readAnswerObject(value as Record<string, unknown>);
    if (read.ok) return { ok: true, value: read.value, text, reported: read.reported };
    problem ??= `the JSON object is invalid: ${read.problem}`;
  }
  // A bare "Yes." or "否" from a server that ignores response_format is an answer with no reason.
  const bare = withoutReasoning(text).trim();
  const verdict = bare.length <= 12 ? readVerdict(bare) : undefined;
  if (problem === undefined && verdict !== undefined) {
    return { ok: true, value: { answer: verdict, confidence: 0.5, reason: '', observations: [], instructions_in_image: false }, text, reported: false };
  }
  return { ok: false, problem: problem ?? 'no JSON object was found in the reply', text };
}

/** The reply's content first, then its reasoning field (thinking models put the JSON in either). */
export function parseReply(content: unknown, reasoning: unknown): ParsedReply {
  const fromContent = partText(content);
  const first = parseModelReply(fromContent);
  if (first.ok || typeof reasoning !== 'string' || reasoning.trim() === '') return first;
  const second = parseModelReply(reasoning);
  return second.ok ? second : fromContent.trim() === '' ? second : first;
}

/** Frame numbers (1-based) cited in the text as "frame 2", "frames 1 and 3", "frames 1, 2". */
export function citedFrames(text: string, frameCount: number): number[] {
  const out = new Set<number>();
  for (const m of text.matchAll(/\bframes?\s*#?\s*(\d+(?:\s*(?:,|&|and|or|to|-)\s*#?\d+)*)/gi)) {
    for (const d of (m[1] ?? '').matchAll(/\d+/g)) {
      const n = Number(d[0]);
      if (n >= 1 && n <= frameCount) out.add(n);
    }
  }
  return [...out].sort((a, b) => a - b);
}

export interface Judged {
  answer: 'yes' | 'no' | 'unsure';
  confidence: number;
  reason: string;
  /** Indexes into the time-sorted keyframes. */
  evidenceFrames: number[];
  unsureReason?: UnsureReason;
}

/**
 * Applies the rules a valid answer must still pass: a flagged image (by the model, or by signs in its reply), an `unsure`, or a failing answer
 * that cites no frame it was shown all become `unsure`. `frames` are the keyframe indexes that were sent.
 */
export function judgeAnswer(model: ModelAnswer, request: VerifyRequest, frames: readonly number[], keyframes: readonly Keyframe[], replyRaw = ''): Judged {
  const signs = injectionSigns([model.reason, ...model.observations, replyRaw]);
  const cited = citedFrames(`${model.reason}\n${model.observations.join('\n')}`, frames.length)
    .map((n) => frames[n - 1])
    .filter((k): k is number => k !== undefined && keyframes[k] !== undefined);
  const confidence = Math.min(1, Math.max(0, model.confidence));
  if (model.instructions_in_image) {
    return { answer: 'unsure', confidence: 0, reason: `the model reported instructions written in the image; a person must look (model said ${model.answer}: ${model.reason})`, evidenceFrames: [...frames], unsureReason: 'instructions_in_image' };
  }
  // The model's own flag cannot be the only signal: a hijacked or careless model does not report it.
  if (signs.length > 0) {
    return { answer: 'unsure', confidence: 0, reason: `the reply shows signs of instructions in the image (${signs.join('; ')}); a person must look (model said ${model.answer}: ${model.reason})`, evidenceFrames: [...frames], unsureReason: 'instructions_in_image' };
  }
  if (model.answer === 'unsure') {
    return { answer: 'unsure', confidence, reason: `the model could not tell: ${model.reason}`, evidenceFrames: cited.length > 0 ? cited : [...frames], unsureReason: 'model_unsure' };
  }
  const failing = model.answer !== request.expect;
  if (failing && cited.length === 0) {
    return { answer: 'unsure', confidence: 0, reason: `the model answered ${model.answer} without citing a frame it was shown: ${model.reason}`, evidenceFrames: [...frames], unsureReason: 'no_frame_cited' };
  }
  return { answer: model.answer, confidence, reason: model.reason, evidenceFrames: cited.length > 0 ? cited : [...frames] };
}
