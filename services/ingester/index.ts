// The ingester's public entry: frame sources that turn cameras and clips into `Frame`s, and the safe ffmpeg input flags.
export { DEFAULT_CLIP_LIMITS, outputSize, probeClip, readClipFrames } from './clip-frame-source.ts';
export type { ClipFrames, ClipInfo, ClipLimits, ClipReadOptions, ClipReadResult } from './clip-frame-source.ts';
export { DEMUXER_WHITELIST, MAX_FRAME_SIDE, checkClipFile, fileUrl, safeInputArgs, sniffContainer } from './probe.ts';
export type { Sniffed } from './probe.ts';
