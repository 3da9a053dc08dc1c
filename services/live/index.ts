// The live stage's public entry: watching cameras (supervisor + pipeline), spreading them over workers, the cameras file.
export { LiveService, type LiveServiceEvent, type LiveServiceOptions } from './live-service.ts';
export { startCameraWatch, type CameraWatch, type CameraWatchOptions, type WatchEvent } from './camera-watch.ts';
export { LivePipeline, type LiveAnswer, type LiveEvent, type LivePipelineOptions, type LivePipelineStats, type LiveVerify } from './live-pipeline.ts';
export { EvidenceRing, pickKeyframes, type WatchedFrame } from './evidence-ring.ts';
export { MainEvidence, mainEvidenceFor, type MainEvidenceOptions, type MainStream } from './main-evidence.ts';
export { LeaseDistributor, LocalDistributor, rendezvousScore, type DistributorEvent, type DistributorOptions, type WatchHandle } from './camera-distributor.ts';
export { RedisLeaseStore, type LeaseStore } from './camera-lease.ts';
export { cameraSourceFactory, type SourceHooks } from './camera-source.ts';
export { CameraSchema, LiveConfigSchema, liveConfigFromObject, loadLiveConfig, parseLiveConfig, type CameraConfig, type LiveConfig } from './camera-config.ts';
