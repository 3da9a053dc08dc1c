// The zone state the gate compares reads only what the rules can see: produce passing on a belt watched for knives and
// people changes nothing, a knife or a person does; what moves outside every zone counts only for a rule that looks
// anywhere in the picture.
import { describe, expect, it } from 'vitest';
import type { Detection, Detections } from '../../services/core/contracts.ts';
import { regionFor, zoneState } from '../../services/frames/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';

const SOP = `
id: belt
title: Belt
version: 1
cameras: [belt-1]
zones:
  belt-1:
    belt: [[0.0, 0.45], [1.0, 0.45], [1.0, 1.0], [0.0, 1.0]]
rules:
  - id: no-person
    kind: forbidden
    when: { person_in: belt }
    for: 1s
  - id: no-knife
    kind: forbidden
    when: { object: knife, in: belt }
    for: 1s
`;

const frame = (items: Detection[]): Detections => ({ cameraId: 'belt-1', frameIndex: 0, tMs: 0, width: 640, height: 360, items, inferenceMs: 0 });
const object = (label: string, x: number): Detection => ({ kind: 'object', label, score: 0.6, box: [x, 0.6, 0.1, 0.1] });

describe('the zone state of a region', () => {
  const loaded = loadSopText(SOP, 'belt.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const region = regionFor([{ sop: loaded.sop, zones: { belt: [[0.0, 0.45], [1.0, 0.45], [1.0, 1.0], [0.0, 1.0]] } }]);

  it('lists what the rules read', () => {
    expect(region.keys).toEqual(['object:knife', 'person:person']);
  });

  it('does not change when produce comes and goes, and changes for a knife or a person', () => {
    const empty = zoneState(frame([]), region.zones, region.keys);
    expect(zoneState(frame([object('apple', 0.2), object('broccoli', 0.5)]), region.zones, region.keys)).toBe(empty);
    expect(zoneState(frame([object('knife', 0.2)]), region.zones, region.keys)).not.toBe(empty);
    expect(zoneState(frame([{ kind: 'person', label: 'person', score: 0.8, box: [0.4, 0.3, 0.2, 0.6] }]), region.zones, region.keys)).not.toBe(empty);
    // Without keys every label counts (a caller that does not know the rules).
    expect(zoneState(frame([object('apple', 0.2)]), region.zones)).not.toBe(zoneState(frame([]), region.zones));
  });
});

describe('things outside every zone', () => {
  const zones = { belt: [[0.0, 0.45], [1.0, 0.45], [1.0, 1.0], [0.0, 1.0]] as Array<[number, number]> };
  // A person whose feet stand above the belt (outside it) and one on it.
  const passer: Detection = { kind: 'person', label: 'person', score: 0.8, box: [0.1, 0.0, 0.1, 0.3] };
  const onBelt: Detection = { kind: 'person', label: 'person', score: 0.8, box: [0.5, 0.3, 0.1, 0.4] };
  const regionOf = (text: string) => {
    const loaded = loadSopText(text, 'belt.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return regionFor([{ sop: loaded.sop, zones }]);
  };
  const state = (r: ReturnType<typeof regionOf>, items: Detection[]): string => zoneState(frame(items), r.zones, r.keys, r.anywhere);

  it('change nothing when every rule reads a zone', () => {
    const r = regionOf(SOP);
    expect(r.anywhere).toBe(false);
    expect(state(r, [passer])).toBe(state(r, []));
    expect(state(r, [passer, onBelt])).toBe(state(r, [onBelt]));
    expect(state(r, [onBelt])).not.toBe(state(r, []));
  });

  it('count when a rule looks anywhere in the picture', () => {
    const r = regionOf(`${SOP}  - id: crowd
    kind: forbidden
    when: { count: { of: person, in: '*', gte: 2 } }
    for: 1s
`);
    expect(r.anywhere).toBe(true);
    expect(state(r, [passer])).not.toBe(state(r, []));
    expect(state(r, [passer, onBelt])).not.toBe(state(r, [onBelt]));
  });
});
