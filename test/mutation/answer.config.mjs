// Mutation testing of the judgement of a model's answer (yes / no / unsure, confidence, malformed replies).
import { mutationConfig } from './base.mjs';

export default mutationConfig(
  'answer',
  ['services/agent/answer.ts'],
  ['test/unit/agent-answer.test.ts', 'test/unit/agent-budget.test.ts', 'test/unit/answer-mutants.test.ts'],
);
