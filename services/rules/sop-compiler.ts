// Compiles a validated SOP file (the YAML shape) into the form the rule engine runs: ms, defaults, condition trees.
import type { Polygon } from '../core/contracts.ts';
import { InputError } from '../core/errors.ts';
import type { CompiledSop, Condition, Rule, Schedule, SequenceStep, Smoothing, Verify } from './compiled.ts';
import { parseDuration } from './duration.ts';
import { DAYS, type Condition as SopCondition, type SopFile, type SopRule } from './sop-file.schema.ts';

export const DEFAULT_SMOOTHING: Smoothing = { enterMs: 500, exitMs: 1500 };
export const DEFAULT_IDLE_MS = 10_000;
export const DEFAULT_VERIFY_FRAMES = 3;
const ANYWHERE = '*';

type YamlVerify = { question: string; expect: 'yes' | 'no'; frames?: number; per?: 'episode' | 'subject' };
type YamlSmoothing = { enter?: string; exit?: string };

/** Compiles a file the loader has validated; a malformed one is a programming error (InputError). */
export function compileSop(file: SopFile, source: string): CompiledSop {
  const fileSmoothing = smoothing(file.smoothing, DEFAULT_SMOOTHING);
  const zones: Record<string, Record<string, Polygon>> = {};
  for (const [camera, byName] of Object.entries(file.zones ?? {})) {
    zones[camera] = Object.fromEntries(Object.entries(byName).map(([name, poly]) => [name, poly.map(([x, y]) => [x, y] as const)]));
  }
  return {
    id: file.id,
    title: file.title,
    ...(file.title_zh === undefined ? {} : { titleZh: file.title_zh }),
    version: 1,
    ...(file.revision === undefined ? {} : { revision: file.revision }),
    cameras: [...file.cameras],
    zones,
    ...(file.motion_mask === undefined
      ? {}
      : { motionMasks: Object.fromEntries(Object.entries(file.motion_mask).map(([camera, polys]) => [camera, polys.map((poly) => poly.map(([x, y]) => [x, y] as const))])) }),
    rules: file.rules.map((r) => compileRule(r, fileSmoothing)),
    source,
  };
}

function compileRule(r: SopRule, fileSmoothing: Smoothing): Rule {
  const base = {
    id: r.id,
    title: r.title ?? r.id,
    ...(r.title_zh === undefined ? {} : { titleZh: r.title_zh }),
    severity: r.severity ?? 'medium',
    enabled: r.enabled ?? true,
    shadow: r.shadow ?? false,
    smoothing: smoothing(r.smoothing, fileSmoothing),
  } as const;
  switch (r.kind) {
    case 'duration':
      return {
        ...base,
        kind: 'duration',
        when: condition(r.when),
        ...(r.min === undefined ? {} : { minMs: ms(r.min) }),
        ...(r.max === undefined ? {} : { maxMs: ms(r.max) }),
      };
    case 'forbidden':
      return {
        ...base,
        kind: 'forbidden',
        when: condition(r.when),
        forMs: r.for === undefined ? 0 : ms(r.for),
        ...(r.verify === undefined ? {} : { verify: verify(r.verify) }),
      };
    case 'required':
      return {
        ...base,
        kind: 'required',
        when: condition(r.when),
        maxGapMs: ms(r.max_gap),
        ...(r.schedule === undefined ? {} : { schedule: schedule(r.schedule) }),
      };
    case 'sequence':
      return {
        ...base,
        kind: 'sequence',
        trigger: condition(r.trigger),
        steps: r.steps.map((s): SequenceStep => {
          const { min, ...detect } = s.detect;
          return {
            id: s.id,
            title: s.title ?? s.id,
            ...(s.title_zh === undefined ? {} : { titleZh: s.title_zh }),
            detect: condition(detect),
            minMs: min === undefined ? 0 : ms(min),
            ...(s.verify === undefined ? {} : { verify: verify(s.verify) }),
          };
        }),
        withinMs: ms(r.within),
        order: r.order ?? 'strict',
        idleMs: r.idle === undefined ? DEFAULT_IDLE_MS : ms(r.idle),
      };
  }
}

/** The YAML condition (one leaf key, plus `in`/`min_score` for objects) as a tagged tree. */
export function condition(c: SopCondition): Condition {
  if (c.person_in !== undefined) return { type: 'person_in', zone: c.person_in };
  if (c.hands_in !== undefined) return { type: 'hands_in', zone: c.hands_in };
  if (c.object !== undefined) {
    return { type: 'object', label: c.object, zone: c.in ?? ANYWHERE, ...(c.min_score === undefined ? {} : { minScore: c.min_score }) };
  }
  if (c.count !== undefined) {
    const { of, in: zone, gte, lte } = c.count;
    return { type: 'count', of, zone: zone ?? ANYWHERE, ...(gte === undefined ? {} : { gte }), ...(lte === undefined ? {} : { lte }) };
  }
  if (c.all !== undefined) return { type: 'all', of: c.all.map(condition) };
  if (c.any !== undefined) return { type: 'any', of: c.any.map(condition) };
  if (c.not !== undefined) return { type: 'not', of: condition(c.not) };
  throw new InputError(`compile SOP condition: none of ${Object.keys(c).join(', ') || 'no keys'} is a condition`);
}

function verify(v: YamlVerify): Verify {
  return { question: v.question, expect: v.expect, frames: v.frames ?? DEFAULT_VERIFY_FRAMES, ...(v.per === 'subject' ? { per: 'subject' as const } : {}) };
}

function smoothing(s: YamlSmoothing | undefined, fallback: Smoothing): Smoothing {
  return {
    enterMs: s?.enter === undefined ? fallback.enterMs : ms(s.enter),
    exitMs: s?.exit === undefined ? fallback.exitMs : ms(s.exit),
  };
}

function schedule(s: { days?: Array<(typeof DAYS)[number]>; from: string; to: string; tz?: string }): Schedule {
  return { days: s.days ? [...s.days] : [...DAYS], fromMin: minutes(s.from), toMin: minutes(s.to), tz: s.tz ?? 'UTC' };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  if (h === undefined || m === undefined || !Number.isInteger(h) || !Number.isInteger(m)) {
    throw new InputError(`compile SOP schedule: bad time "${hhmm}"`);
  }
  return h * 60 + m;
}

function ms(text: string): number {
  const d = parseDuration(text);
  if (!d.ok) throw new InputError(`compile SOP duration "${text}": ${d.reason}`);
  return d.ms;
}
