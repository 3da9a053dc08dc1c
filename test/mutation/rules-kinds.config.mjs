// Mutation testing of the rule engine, part 1: the runner of each rule kind (services/rules/kinds).
import { mutationConfig } from './base.mjs';

export default mutationConfig(
  'rules-kinds',
  ['services/rules/kinds/*.ts'],
  ['test/unit/engine-*.test.ts'],
);
