// Eval stage: labelled clips scored against what the analysis finds (entry module).
export { DEFAULT_TOLERANCE_S, edgesMatch, matchEpisodes, matchRuleText, type Episode, type Matching } from './match.ts';
export { scoreClip, summarise, counts, type ClipScore, type Counts, type EvalSummary, type LabelEpisode, type RuleRow } from './score.ts';
export { checkLabelsText, labelsFiles, loadLabelsFile, mediaRoot, type LoadedLabels, type LabelsLoad } from './labels-loader.ts';
export { evalClip, evalReport, labelEpisodes, type ClipEval, type EvalReport } from './run-eval.ts';
export { formatEval } from './format.ts';
export { LabelsFile, LabelItem, VIOLATION_KINDS } from './labels-file.schema.ts';
export { compareWithDecisions, type AlertRef, type DecisionChanges, type StoredAlert } from './compare.ts';
export { ruleAccuracy, bucketStart, bucketStarts, defaultBucket, DEFAULT_THRESHOLDS, LOW_PRECISION_HINT, MANY_MISSED_HINT, FEW_DECIDED_HINT, type AccuracyFlag, type AccuracyThresholds, type Bucket, type DecisionCounts, type RuleAccuracy, type TrendPoint } from './accuracy.ts';
export { labelsFileText, type DecidedAlert, type LabelsExportInput, type TimelineLabel } from './labels-export.ts';
export { shadowSummary, type ShadowDayRow, type ShadowRule } from './shadow-summary.ts';
