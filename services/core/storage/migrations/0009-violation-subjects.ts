// Schema v9: a violation of an episode several subjects took part in keeps who they were (count, tracks, boxes).
import type { Migration } from './migration.ts';

export const violationSubjects: Migration = {
  version: 9,
  name: 'violation-subjects',
  sql: `
-- subjects: {count, tracks: [{id, inS, outS}], keyframes: [{evidence, boxes: [{id, box}]}]}; times are seconds from the
-- violation's start (the same for clips and live cameras), boxes [x, y, w, h] normalised. NULL: not an episode of subjects.
ALTER TABLE violations ADD COLUMN subjects jsonb;
`,
};
