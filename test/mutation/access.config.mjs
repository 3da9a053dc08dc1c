// Mutation testing of the access layer: authentication, CSRF/Origin, role gates, the id guard and the store checks.
import { mutationConfig } from './base.mjs';

export default mutationConfig(
  'access',
  ['services/api/plugins/app/auth.ts', 'services/api/access.ts'],
  ['test/medium/api-access.test.ts', 'test/medium/api-auth.test.ts', 'test/medium/access-mutants.test.ts'],
);
