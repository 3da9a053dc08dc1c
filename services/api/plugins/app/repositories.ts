// Every repository the routes use, built once over the one database.
import type { Database } from '../../../core/storage/index.ts';
import { AuditRepository, ClipRepository, ViolationRepository } from '../../../core/storage/index.ts';
import { CameraRepository } from '../../../core/storage/cameras.repository.ts';
import { ChangeRepository } from '../../../core/storage/changes.repository.ts';
import { ClipAdminRepository } from '../../../core/storage/clip-admin.repository.ts';
import { EvidenceRepository } from '../../../core/storage/evidence.repository.ts';
import { ReviewItemRepository } from '../../../core/storage/review-items.repository.ts';
import { SessionRepository } from '../../../core/storage/sessions.repository.ts';
import { SopFileRepository } from '../../../core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../../core/storage/stores.repository.ts';
import { UserRepository } from '../../../core/storage/users.repository.ts';
import { ViolationQueryRepository } from '../../../core/storage/violation-queries.repository.ts';

export function createRepos(db: Database) {
  return {
    users: new UserRepository(db),
    sessions: new SessionRepository(db),
    stores: new StoreRepository(db),
    cameras: new CameraRepository(db),
    sopFiles: new SopFileRepository(db),
    clips: new ClipRepository(db),
    clipAdmin: new ClipAdminRepository(db),
    violations: new ViolationRepository(db),
    violationQueries: new ViolationQueryRepository(db),
    reviewItems: new ReviewItemRepository(db),
    evidence: new EvidenceRepository(db),
    audit: new AuditRepository(db),
    changes: new ChangeRepository(db),
  };
}

export type Repos = ReturnType<typeof createRepos>;
