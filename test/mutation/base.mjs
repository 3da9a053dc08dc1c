// Shared StrykerJS settings for `npm run mutation:<group>` (see README "Test tiers" and BENCHMARKS.md "Mutation testing").
// Each group mutates a few logic files and runs only the fast test files that exercise them, one worker at a time
// (the machine is shared). Results are kept under reports/mutation/ (git-ignored) so that re-runs are incremental.

/**
 * @param {string} group name of the group: the incremental file and the HTML report are named after it
 * @param {string[]} mutate files to mutate
 * @param {string[]} testFiles the test files Stryker may run (vitest's `related` narrows them per mutant)
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function mutationConfig(group, mutate, testFiles) {
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'vitest.config.ts', related: false },
    mutate,
    testFiles,
    coverageAnalysis: 'perTest',
    concurrency: 1,
    incremental: true,
    // Static mutants (constants evaluated once at import) need a full reload per mutant: too slow on a shared machine.
    ignoreStatic: true,
    // Message texts are checked where they matter by exact assertions; mutating every string literal doubles the run.
    mutator: { excludedMutations: ['StringLiteral'] },
    incrementalFile: `reports/mutation/${group}.incremental.json`,
    reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${group}.html` },
    jsonReporter: { fileName: `reports/mutation/${group}.json` },
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    timeoutMS: 20_000,
    thresholds: { high: 90, low: 85, break: null },
  };
}
