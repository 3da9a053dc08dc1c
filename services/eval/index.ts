// Eval stage: labelled clips scored against what the analysis finds (entry module).
export { DEFAULT_TOLERANCE_S, edgesMatch, matchEpisodes, matchRuleText, type Episode, type Matching } from './match.ts';
export { scoreClip, summarise, counts, type ClipScore, type Counts, type EvalSummary, type LabelEpisode, type RuleRow } from './score.ts';
export { checkLabelsText, labelsFiles, loadLabelsFile, mediaRoot, type LoadedLabels, type LabelsLoad } from './labels-loader.ts';
export { evalClip, evalReport, labelEpisodes, type ClipEval, type EvalReport } from './run-eval.ts';
export { formatEval } from './format.ts';
export { LabelsFile, LabelItem, VIOLATION_KINDS } from './labels-file.schema.ts';
export { compareWithDecisions, type AlertRef, type DecisionChanges, type StoredAlert } from './compare.ts';
export { ruleAccuracy, DEFAULT_THRESHOLDS, LOW_PRECISION_HINT, FEW_DECIDED_HINT, type AccuracyThresholds, type DecisionCounts, type RuleAccuracy } from './accuracy.ts';
export { labelsFileText, type DecidedAlert, type LabelsExportInput } from './labels-export.ts';
