// The ingester's public entry: frame sources that turn cameras and clips into `Frame`s, and the safe ffmpeg input flags.
export { DEFAULT_CLIP_LIMITS, outputSize, probeClip, readClipFrames } from './clip-frame-source.ts';
export type { ClipFrames, ClipInfo, ClipLimits, ClipReadOptions, ClipReadResult } from './clip-frame-source.ts';
export { ACCEPTED_FORMATS, ACCEPTED_LIST, DEMUXER_WHITELIST, MAX_FRAME_SIDE, SNIFF_BYTES, checkClipFile, fileUrl, safeInputArgs, sniffContainer, sniffOrRefuse } from './probe.ts';
export type { Container, Demuxer, Refused, Sniffed } from './probe.ts';
export { findStreamGaps, gapsIn, type StreamGap } from './stream-gaps.ts';
export { decoder, missingDecoderHint, resolveDecoder, type Decoder, type DecoderSource } from './decoder.ts';
export { OnvifRepository, pickLowResProfile, toProfiles, type CameraMedia, type OnvifAuth, type OnvifProfile, type OnvifTarget } from './onvif.repository.ts';
export { discoverOnvif, toDiscovered, type DiscoveredCamera, type DiscoverOptions } from './onvif-discovery.ts';
export { RtspFrameSource, rtspArgs, type RtspSourceOptions } from './rtsp-frame-source.ts';
export { SnapshotFrameSource, type SnapshotSourceOptions } from './snapshot-frame-source.ts';
export { CameraSupervisor, type SessionSummary, type SupervisorOptions } from './camera-supervisor.ts';
export { backoffMs, qualityGrade, type CameraEvent, type CameraHealth, type CameraState, type NotMonitored, type QualityGrade } from './camera-health.ts';
export { FrameBuffer } from './frame-buffer.ts';
export { decodeLiveFrame, type LiveFrame } from './live-frame.ts';
export type { FrameSession, FrameSource, SessionEnd, SessionHandlers } from './frame-session.ts';
export { CameraAnswerError, CameraAuthError, CameraError, CameraTimeoutError, CameraUriRefusedError } from './camera-errors.ts';
export { checkCameraUri, withCredentials, type UriPolicy } from './camera-uri.ts';
export { redact, redactUrl } from './redact.ts';
