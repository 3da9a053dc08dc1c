// Where things are in the demo kitchen (services/demo/kitchen.ts draws it): its camera and the SOP zones, without
// the drawing code, so that the demo's SOP is written before sharp loads.
import type { Polygon } from '../core/contracts.ts';

export const SAMPLE_CAMERA_ID = 'demo-1';

/** Floor in front of the sink and in front of the prep table, normalised. */
export const SAMPLE_ZONES: Readonly<Record<'sink' | 'prep', Polygon>> = {
  sink: [[0.03, 0.64], [0.38, 0.64], [0.4, 1.0], [0.01, 1.0]],
  prep: [[0.56, 0.64], [0.97, 0.64], [0.99, 1.0], [0.54, 1.0]],
};

/** Where the floor starts, normalised: a person's feet stand below this line. */
export const FLOOR_TOP = 0.625;
