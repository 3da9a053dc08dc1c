// Runs the analysis over labelled clips (through the analysis stage's entry) and scores what it found.
import { relative } from 'node:path';
import { analyzeClip, type AnalysisProgress } from '../analysis/index.ts';
import type { Detector } from '../detector/index.ts';
import type { LoadedLabels } from './labels-loader.ts';
import type { Episode } from './match.ts';
import { scoreClip, summarise, type ClipScore, type EvalSummary, type LabelEpisode } from './score.ts';

export interface ClipEval {
  labelsFile: string;
  clip: string;
  sop: string;
  durationS: number;
  frames: number;
  complete: boolean;
  /** Items the analysis left to a person (verify steps without a model): not counted as detections. */
  needsReview: number;
  score: ClipScore;
}

export interface EvalReport extends EvalSummary {
  clips: ClipEval[];
}

/** `<sop>/<rule>`: rows of the table. */
const key = (sop: string, rule: string): string => `${sop}/${rule}`;

export function labelEpisodes(loaded: LoadedLabels): LabelEpisode[] {
  return loaded.labels.violations.map((v) => ({ rule: key(loaded.sop.id, v.rule), kind: v.kind, start: v.start, end: v.end, ...(v.may === true ? { may: true } : {}) }));
}

export async function evalClip(
  loaded: LoadedLabels,
  toleranceS: number,
  options: { detector?: Detector; onProgress?: (p: AnalysisProgress) => void } = {},
): Promise<ClipEval> {
  const { labels, sop } = loaded;
  const result = await analyzeClip({
    clipPath: loaded.clipPath,
    sops: [sop],
    fps: labels.fps ?? 5,
    ...(labels.camera !== undefined ? { cameraId: labels.camera } : {}),
    ...(options.detector ? { detector: options.detector } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  if (!result.complete) throw new Error(`${loaded.file}: the analysis of ${loaded.clipPath} stopped at ${result.stoppedAtS ?? '?'} s: ${result.error ?? 'unknown error'}`);
  const detected: Episode[] = result.violations
    .filter((v) => v.sop === sop.id)
    .map((v) => ({ rule: key(v.sop, v.rule), kind: v.kind, start: v.start, end: v.end }));
  const score = scoreClip(labelEpisodes(loaded), detected, toleranceS, sop.rules.map((r) => key(sop.id, r.id)));
  return {
    labelsFile: loaded.file, clip: relative(process.cwd(), loaded.clipPath), sop: sop.id,
    durationS: result.durationS, frames: result.frames, complete: result.complete, needsReview: result.needsReview.length, score,
  };
}

export function evalReport(clips: ClipEval[], toleranceS: number): EvalReport {
  return { ...summarise(clips.map((c) => c.score), toleranceS), clips };
}
