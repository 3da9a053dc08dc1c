// Clip analysis stage: the product's main job on one machine (entry module).
export { analyzeClip, type ClipAnalysisOptions, type ClipAnalysisResult, type AnalysisProgress } from './clip-analysis.ts';
export { modelNeedsFor, type ModelNeeds } from './detector-needs.ts';
export { resolveCamera } from './camera.ts';
export { formatReport } from './report.ts';
export type { ViolationJson, ReviewJson, RunJson, SubjectsJson } from './violation-json.ts';
export { subjectsFromJson } from './violation-json.ts';
