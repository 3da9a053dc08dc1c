// The clip at a glance: a row of face-blurred thumbnails over a time ruler, and one lane per rule
// with its violation spans coloured by severity. Made for a manager who will not read a table.
import sharp, { type OverlayOptions } from 'sharp';
import type { Box, Frame, Severity } from '../core/contracts.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { blurFaces } from './blur.ts';
import { EvidenceError } from './errors.ts';
import { checkRgb } from './image.ts';
import { escapeXml, fitText, svgDocument } from './overlay.ts';
import { formatClipTime, thinEvenly, timelineLayout, type TimelineLayout } from './timeline-layout.ts';

export interface TimelineSpan {
  /** The lane: usually the rule id or title. */
  label: string;
  startMs: number;
  endMs: number;
  severity: Severity;
  /** Written on the span: `too_short`, `missing_step`, ... */
  kind: string;
}

export interface TimelineSpec {
  /** In time order; more than MAX_THUMBNAILS are thinned evenly. */
  thumbnails: Array<{ tMs: number; frame: Frame; faceBoxes: Box[] }>;
  durationMs: number;
  spans: TimelineSpan[];
  title: string;
  /** `.png` writes PNG; anything else JPEG. */
  outPath: string;
}

export const SEVERITY_COLOUR: Record<Severity, string> = { low: '#facc15', medium: '#f97316', high: '#dc2626' };
const SEVERITY_TEXT: Record<Severity, string> = { low: '#1f2937', medium: '#ffffff', high: '#ffffff' };
const INK = '#111827';
const MUTED = '#6b7280';

function ruler(layout: TimelineLayout, durationMs: number): string {
  const { trackLeft, trackRight, rulerY, lanesTop, lanesBottom } = layout;
  const parts = [`<line x1="${trackLeft}" y1="${rulerY}" x2="${trackRight}" y2="${rulerY}" stroke="${MUTED}" stroke-width="1.5"/>`];
  for (const lane of layout.lanes) {
    parts.push(`<rect x="${lane.left}" y="${lane.top}" width="${lane.width}" height="${lane.height}" fill="#f3f4f6" rx="4"/>`);
  }
  for (const tMs of layout.ticksMs) {
    const x = layout.xForMs(tMs).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${rulerY}" x2="${x}" y2="${rulerY + 6}" stroke="${MUTED}"/>`,
      `<line x1="${x}" y1="${lanesTop}" x2="${x}" y2="${lanesBottom}" stroke="#dcdfe4"/>`,
      `<text x="${x}" y="${rulerY + 19}" font-size="12" fill="${MUTED}" text-anchor="middle">${formatClipTime(tMs, durationMs)}</text>`,
    );
  }
  return parts.join('');
}

function thumbnailMarks(layout: TimelineLayout, spec: TimelineSpec): string {
  return layout.thumbs
    .map((t, i) => {
      const tMs = spec.thumbnails[i]?.tMs ?? 0;
      const cx = t.left + t.width / 2;
      const x = layout.xForMs(tMs).toFixed(1);
      const timeY = t.top + t.height + 15;
      return (
        `<rect x="${t.left - 1}" y="${t.top - 1}" width="${t.width + 2}" height="${t.height + 2}" fill="none" stroke="#d1d5db"/>` +
        `<text x="${cx}" y="${timeY}" font-size="12" fill="${INK}" text-anchor="middle">${formatClipTime(tMs, spec.durationMs)}</text>` +
        `<polyline points="${cx},${timeY + 4} ${x},${layout.rulerY - 6} ${x},${layout.rulerY}" fill="none" stroke="#9ca3af" stroke-dasharray="3 3"/>` +
        `<circle cx="${x}" cy="${layout.rulerY}" r="3.5" fill="${INK}"/>`
      );
    })
    .join('');
}

function lanes(layout: TimelineLayout, spec: TimelineSpec): string {
  const parts: string[] = [];
  for (const lane of layout.lanes) {
    const mid = lane.top + lane.height / 2;
    parts.push(
      `<text x="${layout.margin}" y="${mid + 5}" font-size="14" font-weight="bold" fill="${INK}">${escapeXml(fitText(lane.label, 14, layout.trackLeft - layout.margin - 10))}</text>`,
    );
    const mine = spec.spans.filter((s) => s.label === lane.label);
    if (mine.length === 0) {
      parts.push(`<text x="${layout.trackLeft + 10}" y="${mid + 5}" font-size="13" fill="${MUTED}">no violations</text>`);
    }
    for (const s of mine) {
      const r = layout.spanRect(s, lane);
      const text = `${s.kind} ${((s.endMs - s.startMs) / 1000).toFixed(1)} s`;
      const fits = text.length * 0.6 * 12 + 10 <= r.width;
      parts.push(`<rect x="${r.left}" y="${r.top}" width="${r.width}" height="${r.height}" fill="${SEVERITY_COLOUR[s.severity]}" rx="3"/>`);
      parts.push(
        fits
          ? `<text x="${r.left + 5}" y="${mid + 4}" font-size="12" fill="${SEVERITY_TEXT[s.severity]}">${escapeXml(text)}</text>`
          : `<text x="${Math.min(r.left + r.width + 4, layout.trackRight - 80)}" y="${mid + 4}" font-size="12" fill="${INK}">${escapeXml(text)}</text>`,
      );
    }
  }
  return parts.join('');
}

function legend(layout: TimelineLayout): string {
  let x = layout.trackLeft;
  const parts: string[] = [];
  for (const sev of ['low', 'medium', 'high'] as const) {
    parts.push(
      `<rect x="${x}" y="${layout.legendY - 11}" width="14" height="14" fill="${SEVERITY_COLOUR[sev]}" rx="2"/>`,
      `<text x="${x + 20}" y="${layout.legendY}" font-size="12" fill="${INK}">${sev}</text>`,
    );
    x += 90;
  }
  return parts.join('');
}

async function thumbnailOverlays(layout: TimelineLayout, spec: TimelineSpec): Promise<OverlayOptions[]> {
  const out: OverlayOptions[] = [];
  for (const [i, t] of spec.thumbnails.entries()) {
    const slot = layout.thumbs[i];
    if (slot === undefined) continue;
    checkRgb(t.frame, `timeline thumbnail ${i}`);
    const blurred = await blurFaces(t.frame.rgb, t.frame.width, t.frame.height, t.faceBoxes);
    const small = await sharp(blurred, { raw: { width: t.frame.width, height: t.frame.height, channels: 3 } })
      .resize(slot.width, slot.height, { fit: 'contain', background: '#000000' })
      .raw()
      .toBuffer();
    out.push({ input: small, raw: { width: slot.width, height: slot.height, channels: 3 }, left: slot.left, top: slot.top });
  }
  return out;
}

/** The timeline picture as bytes (PNG or JPEG), without touching the disk. */
export async function composeTimeline(input: TimelineSpec, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const spec = { ...input, thumbnails: thinEvenly(input.thumbnails) };
  const layout = timelineLayout(spec);
  const thumbs = await thumbnailOverlays(layout, spec);
  const subtitle = `${formatClipTime(spec.durationMs, spec.durationMs)} · ${spec.spans.length} violation${spec.spans.length === 1 ? '' : 's'}`;
  const svg = svgDocument(
    layout.width,
    layout.height,
    `<text x="${layout.margin}" y="${layout.margin + 20}" font-size="22" font-weight="bold" fill="${INK}">${escapeXml(fitText(spec.title, 22, layout.width - 2 * layout.margin - 160))}</text>` +
      `<text x="${layout.width - layout.margin}" y="${layout.margin + 20}" font-size="14" fill="${MUTED}" text-anchor="end">${escapeXml(subtitle)}</text>` +
      thumbnailMarks(layout, spec) +
      ruler(layout, spec.durationMs) +
      lanes(layout, spec) +
      legend(layout),
  );
  try {
    const canvas = sharp({ create: { width: layout.width, height: layout.height, channels: 3, background: '#ffffff' } })
      .composite([...thumbs, { input: svg, left: 0, top: 0 }]);
    return await (format === 'png' ? canvas.png() : canvas.jpeg({ quality: 88 })).toBuffer();
  } catch (err) {
    throw new EvidenceError(`render timeline "${spec.title}"`, { cause: err });
  }
}

/** Render the timeline and write it atomically to `spec.outPath`. Nothing is written on any failure. */
export async function renderTimeline(spec: TimelineSpec): Promise<{ path: string; bytes: number }> {
  const bytes = await composeTimeline(spec, spec.outPath.toLowerCase().endsWith('.png') ? 'png' : 'jpeg');
  await writeFileAtomic(spec.outPath, bytes);
  return { path: spec.outPath, bytes: bytes.length };
}
