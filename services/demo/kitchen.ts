// The drawn "kitchen" of the demo clip (wall, counter with a sink, a prep table); the SOP zones that match it are in
// kitchen-layout.ts. Zones are floor areas, because `person_in` tests a person's foot point.
import sharp from 'sharp';

export { FLOOR_TOP, SAMPLE_CAMERA_ID, SAMPLE_ZONES } from './kitchen-layout.ts';

// Drawn in a 640x360 design space and stretched to the requested size.
const KITCHEN_SVG = `
<rect x="0" y="0" width="640" height="225" fill="#e8e2d4"/>
<rect x="0" y="120" width="640" height="50" fill="#f4f1ea"/>
${Array.from({ length: 33 }, (_, i) => `<line x1="${i * 20}" y1="120" x2="${i * 20}" y2="170" stroke="#d6d0c2"/>`).join('')}
<line x1="0" y1="145" x2="640" y2="145" stroke="#d6d0c2"/>
<rect x="4" y="40" width="34" height="185" fill="#9a7b5c"/>
<rect x="250" y="60" width="150" height="6" fill="#7c5c3e"/>
<rect x="262" y="38" width="18" height="22" fill="#d97706"/><rect x="290" y="44" width="22" height="16" fill="#65a30d"/>
<rect x="322" y="34" width="16" height="26" fill="#2563eb"/><rect x="350" y="42" width="30" height="18" fill="#e5e7eb"/>
<rect x="0" y="170" width="640" height="10" fill="#c9ccd1"/>
<rect x="0" y="180" width="640" height="45" fill="#8b6b4a"/>
${Array.from({ length: 8 }, (_, i) => `<rect x="${i * 80 + 4}" y="184" width="72" height="37" fill="none" stroke="#6f5339" stroke-width="2"/>`).join('')}
<rect x="60" y="166" width="140" height="12" rx="3" fill="#6b7280"/>
<rect x="66" y="168" width="128" height="8" rx="2" fill="#4b5563"/>
<rect x="126" y="138" width="6" height="30" fill="#9ca3af"/><rect x="126" y="136" width="26" height="6" rx="2" fill="#9ca3af"/>
<rect x="176" y="148" width="10" height="20" rx="2" fill="#0ea5e9"/>
<rect x="92" y="92" width="76" height="24" rx="3" fill="#1d4ed8"/>
<text x="130" y="110" font-size="15" font-weight="bold" fill="#ffffff" text-anchor="middle">SINK</text>
<rect x="0" y="225" width="640" height="135" fill="#bdb6aa"/>
${[252, 284, 322].map((y) => `<line x1="0" y1="${y}" x2="640" y2="${y}" stroke="#a9a295"/>`).join('')}
${Array.from({ length: 11 }, (_, i) => `<line x1="${i * 64}" y1="225" x2="${i * 72 - 40}" y2="360" stroke="#a9a295"/>`).join('')}
<rect x="380" y="200" width="220" height="12" fill="#d1d5db"/>
<rect x="388" y="212" width="8" height="90" fill="#9ca3af"/><rect x="584" y="212" width="8" height="90" fill="#9ca3af"/>
<rect x="388" y="268" width="204" height="6" fill="#b8bcc4"/>
<rect x="420" y="193" width="80" height="7" fill="#b45309"/>
<ellipse cx="545" cy="194" rx="22" ry="7" fill="#f8fafc" stroke="#94a3b8"/>
<rect x="450" y="92" width="120" height="24" rx="3" fill="#15803d"/>
<text x="510" y="110" font-size="15" font-weight="bold" fill="#ffffff" text-anchor="middle">PREP TABLE</text>`;

/** The empty kitchen as raw RGB, width x height. */
export async function drawKitchen(width: number, height: number): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 640 360" ` +
    `preserveAspectRatio="none" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">${KITCHEN_SVG}</svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
}
