// PLACEHOLDER for migration 5, which another branch adds: it only lets this branch's migration 6 run in order.
// The integrator drops this file (and its line in index.ts) when merging the real 0005.
import type { Migration } from './migration.ts';

export const reserved5: Migration = {
  version: 5,
  name: 'reserved',
  sql: 'SELECT 1;',
};
