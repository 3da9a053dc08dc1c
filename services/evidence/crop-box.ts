// The region a picture is cropped to: the union of the boxes the detector saw, padded, clipped to the image.
import type { Box } from '../core/contracts.ts';

/**
 * The union of `boxes`, padded on every side by `relative` of its size plus `absolute` (both normalised),
 * clipped to 0..1; undefined when there are no boxes (the caller keeps the whole frame).
 */
export function cropAround(boxes: readonly Box[], relative: number, absolute: number): Box | undefined {
  if (boxes.length === 0) return undefined;
  const x0 = Math.min(...boxes.map((b) => b[0]));
  const y0 = Math.min(...boxes.map((b) => b[1]));
  const x1 = Math.max(...boxes.map((b) => b[0] + b[2]));
  const y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
  const padX = (x1 - x0) * relative + absolute;
  const padY = (y1 - y0) * relative + absolute;
  const left = Math.max(0, x0 - padX);
  const top = Math.max(0, y0 - padY);
  return [left, top, Math.min(1, x1 + padX) - left, Math.min(1, y1 + padY) - top];
}
