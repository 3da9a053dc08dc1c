// A frame from a live camera as it travels: JPEG bytes stamped with server time; decoded to RGB only when it is used.
import sharp from 'sharp';
import type { Frame } from '../core/contracts.ts';

export interface LiveFrame {
  cameraId: string;
  /** Counts frames of this camera since the source started (all sessions). */
  index: number;
  /** Server time when the picture arrived, epoch ms (never the camera's clock). */
  tMs: number;
  jpeg: Buffer;
}

/** The frame as the detector takes it (raw RGB24), narrowed to `maxWidth` when wider. */
export async function decodeLiveFrame(frame: LiveFrame, maxWidth?: number): Promise<Frame> {
  let img = sharp(frame.jpeg, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
  if (maxWidth !== undefined) img = img.resize({ width: maxWidth, withoutEnlargement: true });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { cameraId: frame.cameraId, index: frame.index, tMs: frame.tMs, width: info.width, height: info.height, rgb: data };
}
