// Test runner settings: tiers live under test/{unit,medium,e2e}; slow model tests get generous timeouts.
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/fixtures/longest-first.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'dashboard/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Three files at a time on two cores: about a fifth of the files mostly wait (real-time cameras, chaos restarts,
    // stall timeouts), and with two workers those left a core idle 15 % of a run (BENCHMARKS.md, "Eighteenth session").
    maxWorkers: 3,
    // Longest files first (a cold CI run has no timing cache): the workers end together.
    sequence: { sequencer: LongestFirst },
    // The skip report prints how many tests were skipped and why, and fails CI when one on real footage was.
    reporters: ['default', './test/fixtures/skip-report.ts'],
  },
});
