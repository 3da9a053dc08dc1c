// The rule engine: runs every enabled rule of the SOPs that apply to one camera over its stream of observations.
import type { FrameObservations, Polygon, Verdict, VerifyAnswer } from '../core/contracts.ts';
import { InputError } from '../core/errors.ts';
import type { CompiledSop, Rule } from './compiled.ts';
import { FrameFacts } from './condition.ts';
import type { RuleContext, RuleRunner } from './kinds/common.ts';
import { durationRunner } from './kinds/duration.ts';
import { forbiddenRunner } from './kinds/forbidden.ts';
import { requiredRunner } from './kinds/required.ts';
import { sequenceRunner } from './kinds/sequence.ts';

export interface EngineOptions {
  cameraId: string;
  cameraTags?: string[];
  /** epoch ms of tMs=0 when known, so schedules apply; undefined = no wall clock (scheduled rules then apply all the time) */
  clockOriginMs?: number;
}

export interface RuleEngine {
  /** Frames in increasing tMs; a frame not newer than the previous one is ignored. */
  push(frame: FrameObservations): Verdict[];
  /** End of stream: close episodes, runs, gaps. Later pushes are ignored; answers are still taken. */
  finish(endMs: number): Verdict[];
  /** The model's (or nobody's) answer to a `pending_verify` request. */
  resolveVerify(requestId: string, answer: VerifyAnswer): Verdict[];
  /** The zones that apply to this camera (camera key, else a tag key, else "*"). */
  zonesFor(sop: CompiledSop): Record<string, Polygon>;
}

/** The SOPs whose `cameras` name this camera, one of its tags, or `*`. */
export function sopsForCamera(sops: CompiledSop[], cameraId: string, tags: string[] = []): CompiledSop[] {
  return sops.filter((s) => s.cameras.some((c) => c === '*' || c === cameraId || tags.includes(c)));
}

function runnerFor(ctx: RuleContext<Rule>): RuleRunner {
  const { rule } = ctx;
  switch (rule.kind) {
    case 'duration':
      return durationRunner({ ...ctx, rule });
    case 'forbidden':
      return forbiddenRunner({ ...ctx, rule });
    case 'required':
      return requiredRunner({ ...ctx, rule });
    case 'sequence':
      return sequenceRunner({ ...ctx, rule });
  }
}

/** Throws InputError only for a rule it cannot run (an unknown time zone); never on observations. */
export function createRuleEngine(sops: CompiledSop[], options: EngineOptions): RuleEngine {
  const { cameraId, cameraTags = [] } = options;
  const clockOriginMs = Number.isFinite(options.clockOriginMs) ? options.clockOriginMs : undefined;
  const runners: RuleRunner[] = [];
  for (const sop of sopsForCamera(sops, cameraId, cameraTags)) {
    for (const rule of sop.rules) {
      if (!rule.enabled) continue;
      try {
        runners.push(runnerFor({ sop, rule, cameraId, clockOriginMs }));
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new InputError(`${sop.source}: rule "${rule.id}" cannot run: ${why}`, { cause });
      }
    }
  }
  /** Which runner asked each open question. */
  const askedBy = new Map<string, RuleRunner>();
  let lastMs: number | undefined;
  let finished = false;

  function collect(runner: RuleRunner, verdicts: Verdict[]): Verdict[] {
    for (const v of verdicts) if (v.type === 'pending_verify') askedBy.set(v.request.id, runner);
    return verdicts;
  }

  return {
    push(frame: FrameObservations): Verdict[] {
      const tMs: unknown = (frame as Partial<FrameObservations> | null | undefined)?.tMs;
      if (finished || typeof tMs !== 'number' || !Number.isFinite(tMs)) return [];
      // Late or repeated frames would rewind the smoothers: they are dropped, not reordered.
      if (lastMs !== undefined && tMs <= lastMs) return [];
      lastMs = tMs;
      const facts = new FrameFacts(frame.observations);
      return runners.flatMap((r) => collect(r, r.push(tMs, facts)));
    },
    finish(endMs: number): Verdict[] {
      if (finished) return [];
      finished = true;
      if (lastMs === undefined) return [];
      const end = Number.isFinite(endMs) ? Math.max(endMs, lastMs) : lastMs;
      return runners.flatMap((r) => collect(r, r.finish(end)));
    },
    resolveVerify(requestId: string, answer: VerifyAnswer): Verdict[] {
      const runner = askedBy.get(requestId);
      if (runner === undefined) return [];
      askedBy.delete(requestId);
      return collect(runner, runner.resolve(requestId, answer));
    },
    zonesFor(sop: CompiledSop): Record<string, Polygon> {
      const key = [cameraId, ...cameraTags, '*'].find((k) => Object.hasOwn(sop.zones, k));
      return key === undefined ? {} : { ...sop.zones[key] };
    },
  };
}
