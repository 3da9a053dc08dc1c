// The SOP file that goes with the demo clip: hands washed at the sink for at least 20 s.
import type { Polygon } from '../core/contracts.ts';
import { SAMPLE_CAMERA_ID, SAMPLE_ZONES } from './kitchen-layout.ts';

export const SAMPLE_SOP_ID = 'demo-kitchen';
export const SAMPLE_RULE_ID = 'hand-wash';
export const SAMPLE_MIN_WASH_MS = 20_000;

function polygonYaml(polygon: Polygon): string {
  return `[${polygon.map(([x, y]) => `[${x.toFixed(2)}, ${y.toFixed(2)}]`).join(', ')}]`;
}

/** YAML text in the SOP file format (shared/spec/sop-rules.md), with zones matching the drawn kitchen. */
export function sampleSop(): string {
  return [
    '# SOP for the generated demo clip (services/demo/sample-clip.ts): a person at the sink must stay 20 s.',
    `id: ${SAMPLE_SOP_ID}`,
    'title: Demo kitchen hand washing',
    'version: 1',
    `cameras: [${SAMPLE_CAMERA_ID}]`,
    'zones:',
    `  ${SAMPLE_CAMERA_ID}:`,
    ...Object.entries(SAMPLE_ZONES).map(([name, polygon]) => `    ${name}: ${polygonYaml(polygon)}`),
    'rules:',
    `  - id: ${SAMPLE_RULE_ID}`,
    '    kind: duration',
    '    title: Wash hands at the sink for at least 20 s',
    '    when: { person_in: sink }',
    `    min: ${SAMPLE_MIN_WASH_MS / 1000}s`,
    '    severity: high',
    '',
  ].join('\n');
}
