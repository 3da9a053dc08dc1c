// Evidence stage: face-blurred keyframes and clip timelines on disk, and the blur and JPEG tools
// every image that leaves the process goes through.
export { blurFaces, paddedRect, FACE_PADDING, type PixelRect } from './blur.ts';
export { EvidenceError, FaceBlurError } from './errors.ts';
export { evidenceFileName } from './file-name.ts';
export { faceRegions, headBox, headBoxes, HEAD_SHARE_OF_PERSON, HEAD_SHARE_OF_SHORT_PERSON } from './face-regions.ts';
export type { RgbImage } from './image.ts';
export { cropAndScale, encodeJpeg, DEFAULT_JPEG_QUALITY, type CropOptions, type JpegOptions } from './jpeg.ts';
export { composeKeyframe, renderKeyframe, type KeyframeSpec } from './keyframe.ts';
export { composeTimeline, renderTimeline, SEVERITY_COLOUR, type TimelineSpan, type TimelineSpec } from './timeline.ts';
export { formatClipTime, thinEvenly, thumbnailDrawWidth, timelineLayout, MAX_THUMBNAILS, type Lane, type Rect, type TimelineLayout } from './timeline-layout.ts';
export { writeFileAtomic, TEMP_SUFFIX } from './atomic-write.ts';
export { cropAround } from './crop-box.ts';
export { grayThumbnail } from './thumbnail.ts';
export { captionHeight } from './overlay.ts';
