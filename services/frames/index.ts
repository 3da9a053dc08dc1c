// The frame stage: frame -> motion -> region -> detections -> tracks, with the detector gated by motion (one entry module).
export { FrameStage, splitPoints, type FrameStageOptions, type FrameStageStats, type GateOptions, type StagedFrame } from './frame-stage.ts';
export { MotionDetector, type MotionOptions, type MotionResult } from './motion.ts';
export { cropFrame, intoCrop, masksFor, regionFor, uncrop, zoneState, WHOLE, type Region } from './region.ts';
