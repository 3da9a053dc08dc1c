// Mutation testing of the access layer: authentication, CSRF/Origin, role gates, the id guard and the store checks.
import { mutationConfig } from './base.mjs';

export default mutationConfig(
  'access',
  ['services/api/plugins/app/auth.ts', 'services/api/access.ts'],
  // The route-matrix tests (api-access, api-auth) build a PGlite app with scrypt logins: minutes per mutant here.
  ['test/medium/access-mutants.test.ts'],
);
