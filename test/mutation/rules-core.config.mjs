// Mutation testing of the rule engine, part 2: the engine, conditions, smoothing, schedules, durations, the observer.
import { mutationConfig } from './base.mjs';

export default mutationConfig(
  'rules-core',
  [
    'services/rules/engine.ts',
    'services/rules/condition.ts',
    'services/rules/smoothing.ts',
    'services/rules/schedule.ts',
    'services/rules/duration.ts',
    'services/rules/observe.ts',
    'services/rules/rule-conditions.ts',
  ],
  ['test/unit/engine-*.test.ts', 'test/unit/observe.test.ts', 'test/unit/observe-subjects.test.ts', 'test/unit/sop-duration.test.ts', 'test/unit/analysis-plan.test.ts'],
);
