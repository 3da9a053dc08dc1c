// SVG layers drawn over evidence frames: zones, detection boxes with track ids, and the caption band.
import type { Detection, DetectionKind, Polygon } from '../core/contracts.ts';

export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
export const ZONE_COLOUR = '#38bdf8';
export const ZONE_HIGHLIGHT_COLOUR = '#ef4444';
export const CAPTION_BACKGROUND = '#111827';
const KIND_COLOUR: Record<DetectionKind, string> = {
  person: '#22c55e',
  hand: '#e879f9',
  object: '#facc15',
  face: '#a3a3a3',
};

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Cut a line to what fits in maxWidth pixels (DejaVu Sans averages about 0.58 em per character). */
export function fitText(text: string, fontSize: number, maxWidth: number): string {
  const maxChars = Math.max(1, Math.floor(maxWidth / (0.58 * fontSize)));
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(0, maxChars - 1))}…`;
}

/** Line width and font size that read well at this image size. */
export function scaleFor(width: number): { stroke: number; fontSize: number } {
  return { stroke: Math.max(2, Math.round(width / 320)), fontSize: Math.max(11, Math.round(width / 48)) };
}

function label(x: number, y: number, text: string, colour: string, fontSize: number, textColour = '#000'): string {
  const w = Math.ceil(text.length * 0.6 * fontSize) + 8;
  const h = Math.ceil(fontSize * 1.35);
  const top = Math.max(0, y - h);
  return (
    `<rect x="${x}" y="${top}" width="${w}" height="${h}" fill="${colour}" fill-opacity="0.85"/>` +
    `<text x="${x + 4}" y="${top + h - Math.round(fontSize * 0.32)}" font-size="${fontSize}" fill="${textColour}">${escapeXml(text)}</text>`
  );
}

export function zonesSvg(zones: Record<string, Polygon>, highlight: readonly string[], width: number, height: number): string {
  const { stroke, fontSize } = scaleFor(width);
  const parts: string[] = [];
  // Highlighted zones last, so that their outline wins where zones overlap.
  const names = Object.keys(zones).sort((a, b) => Number(highlight.includes(a)) - Number(highlight.includes(b)));
  for (const name of names) {
    const polygon = zones[name] ?? [];
    if (polygon.length < 3) continue;
    const hot = highlight.includes(name);
    const colour = hot ? ZONE_HIGHLIGHT_COLOUR : ZONE_COLOUR;
    const pts = polygon.map(([x, y]) => `${(x * width).toFixed(1)},${(y * height).toFixed(1)}`).join(' ');
    parts.push(
      `<polygon points="${pts}" fill="${colour}" fill-opacity="${hot ? 0.22 : 0.1}" stroke="${colour}" ` +
        `stroke-width="${hot ? stroke * 1.5 : stroke}" stroke-linejoin="round"/>`,
    );
    const anchor = [...polygon].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0] ?? [0, 0];
    const x = Math.min(Math.max(0, anchor[0] * width + stroke), width - 40);
    const y = Math.max(Math.ceil(fontSize * 1.35), anchor[1] * height + Math.ceil(fontSize * 1.35) + stroke);
    parts.push(label(Math.round(x), Math.round(y), name, colour, fontSize, hot ? '#fff' : '#000'));
  }
  return parts.join('');
}

export function detectionsSvg(items: readonly Detection[], width: number, height: number): string {
  const { stroke, fontSize } = scaleFor(width);
  const parts: string[] = [];
  for (const d of items) {
    const colour = KIND_COLOUR[d.kind];
    const [x, y, w, h] = d.box;
    const px = Math.round(x * width);
    const py = Math.round(y * height);
    parts.push(
      `<rect x="${px}" y="${py}" width="${Math.round(w * width)}" height="${Math.round(h * height)}" ` +
        `fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
    );
    const text = [d.label, d.trackId, `${Math.round(d.score * 100)}%`].filter((t) => t !== undefined).join(' ');
    const labelY = py > fontSize * 1.4 ? py : py + Math.ceil(fontSize * 1.35);
    parts.push(label(Math.max(0, px), labelY, text, colour, Math.round(fontSize * 0.9)));
  }
  return parts.join('');
}

/** Height of the caption band for this many lines. */
export function captionHeight(lines: number, width: number): number {
  const { fontSize } = scaleFor(width);
  return lines === 0 ? 0 : Math.ceil(fontSize * 1.6 + (lines - 1) * fontSize * 1.4 + fontSize * 0.8);
}

/** The caption band: the first line (the rule) bold, the rest below it. */
export function captionSvg(lines: readonly string[], width: number, top: number): string {
  if (lines.length === 0) return '';
  const { fontSize } = scaleFor(width);
  const pad = Math.round(fontSize * 0.8);
  const parts = [`<rect x="0" y="${top}" width="${width}" height="${captionHeight(lines.length, width)}" fill="${CAPTION_BACKGROUND}"/>`];
  let y = top + Math.round(fontSize * 1.4);
  lines.forEach((line, i) => {
    const size = i === 0 ? Math.round(fontSize * 1.1) : fontSize;
    const weight = i === 0 ? ' font-weight="bold"' : '';
    const fill = i === 0 ? '#f9fafb' : '#d1d5db';
    parts.push(`<text x="${pad}" y="${y}" font-size="${size}"${weight} fill="${fill}">${escapeXml(fitText(line, size, width - 2 * pad))}</text>`);
    y += Math.round(fontSize * 1.4);
  });
  return parts.join('');
}

export function svgDocument(width: number, height: number, body: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT_FAMILY}">${body}</svg>`,
  );
}
