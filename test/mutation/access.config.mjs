// Mutation testing of the access layer: authentication, CSRF/Origin, role gates, the id guard (the one mechanism for
// path and query ids) and the routes' explicit checks of ids in bodies (line ranges: keep them on those checks).
import { mutationConfig } from './base.mjs';

export default mutationConfig(
  'access',
  [
    'services/api/plugins/app/auth.ts',
    'services/api/access.ts',
    // Bulk review/undo ids, the dry run's clipId, the enablement's cameraIds.
    'services/api/routes/violations.routes.ts:51-65',
    'services/api/routes/dashboard-sops.routes.ts:61-62',
    'services/api/routes/sop-files.routes.ts:64-69',
  ],
  // The route-matrix tests (api-access, api-auth) build a PGlite app with scrypt logins: minutes per mutant here.
  ['test/medium/access-mutants.test.ts'],
);
