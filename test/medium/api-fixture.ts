// Test fixture for the API: an app on a real database (PGlite in memory by default), two franchises, users of each role.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { addUser, buildApp, CSRF_HEADER, SESSION_COOKIE, type ApiConfig, type ApiDeps } from '../../services/api/index.ts';
import { ViolationKind } from '../../services/core/contracts.ts';
import { InProcessQueue, type JobQueue } from '../../services/core/queue/index.ts';
import { ClipRepository, ViolationRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { EvidenceRepository } from '../../services/core/storage/evidence.repository.ts';
import { ReviewItemRepository } from '../../services/core/storage/review-items.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { CHAOS_SOP_YAML } from '../chaos/helpers/clip-fixture.ts';
import { FIXTURE_HASHING } from '../fixtures/accounts.ts';

export const PASSWORD = 'correct horse battery staple';

/** Two `required` rules on the whole frame (the chaos tests and the load bench use the same file). */
export const SOP_YAML = CHAOS_SOP_YAML;

export interface Session {
  cookie: string;
  csrf: string;
}

export interface ApiFixture {
  app: FastifyInstance;
  db: Database;
  queue: JobQueue;
  dataDir: string;
  /** Franchise F1 has stores a1 and a2; franchise F2 has store b. */
  stores: { a1: string; a2: string; b: string };
  /** Objects of store a1, for foreign callers to try. */
  a1: { cameraId: string; clipId: string; violationId: string; evidenceName: string };
  login(email: string, password?: string): Promise<Session>;
  /** inject with a session's cookie and CSRF header. */
  call(session: Session | undefined, opts: { method: string; url: string; payload?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const USERS = {
  owner1: 'owner1@f1.test',
  managerA: 'manager@a1.test',
  auditorA: 'auditor@a1.test',
  owner2: 'owner2@f2.test',
  managerB: 'manager@b.test',
} as const;

export async function apiFixture(options: { config?: Partial<ApiConfig>; db?: Database; logger?: ApiDeps['logger'] } = {}): Promise<ApiFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-api-'));
  const db = options.db ?? (await openDatabase({ memory: true }));
  const queue = new InProcessQueue();
  const storesRepo = new StoreRepository(db);
  const a1 = await storesRepo.create({ name: 'A1 Main St', franchise: 'F1' });
  const a2 = await storesRepo.create({ name: 'A2 Harbour', franchise: 'F1' });
  const b = await storesRepo.create({ name: 'B Station', franchise: 'F2' });
  await addUser(db, { email: USERS.owner1, role: 'owner', franchise: 'F1', password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.managerA, role: 'manager', stores: [a1.id], password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.auditorA, role: 'auditor', stores: [a1.id], password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.owner2, role: 'owner', franchise: 'F2', password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.managerB, role: 'manager', stores: [b.id], password: PASSWORD, hashing: FIXTURE_HASHING });

  // Store a1 gets one of everything, written through the repositories as the worker would.
  const camera = await new CameraRepository(db).create({ storeId: a1.id, name: 'counter-1' });
  const load = loadSopText(SOP_YAML, 'sop.yaml');
  if (!load.ok) throw new Error('fixture SOP is invalid');
  await new SopFileRepository(db).addVersion(a1.id, load.sop.id, SOP_YAML, load.sop);
  await mkdir(join(dataDir, 'clips'), { recursive: true });
  const clip = await new ClipRepository(db).create({ storeId: a1.id, cameraId: camera.id, filename: 'shift.mp4', path: join(dataDir, 'clips', 'x.mp4'), bytes: 10 });
  const evidenceName = 'counter-staffed_staffed_gap_-_0-1.jpg';
  const { violation } = await new ViolationRepository(db).upsert({
    storeId: a1.id, clipId: clip.id, sopVersion: 1,
    violation: {
      id: 'counter-staffed/staffed/gap/-/*/0', sop: 'counter-staffed', rule: 'staffed', kind: ViolationKind.Gap, cameraId: camera.id,
      startMs: 0, endMs: 4000, severity: 'high', message: 'nobody at the counter', decidedBy: 'detector', confidence: 1,
      evidence: [evidenceName], subject: '*',
    },
  });
  await mkdir(join(dataDir, 'evidence', clip.id), { recursive: true });
  await writeFile(join(dataDir, 'evidence', clip.id, evidenceName), Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  await new EvidenceRepository(db).record({ violationId: violation.id, path: `evidence/${clip.id}/${evidenceName}`, kind: 'keyframe', bytes: 4 });
  await new ReviewItemRepository(db).upsert({
    storeId: a1.id, cameraId: camera.id, clipId: clip.id, engineId: 'counter-staffed/staffed/-/*/0', sopId: 'counter-staffed', rule: 'staffed',
    severity: 'high', startS: 0, endS: 1, reason: 'no model configured',
  });

  const app = buildApp({ db, queue, dataDir, config: options.config ?? {}, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  await app.ready();

  const call: ApiFixture['call'] = (session, opts) => app.inject({
    method: opts.method as 'GET',
    url: opts.url,
    ...(opts.payload === undefined ? {} : { payload: opts.payload as string }),
    headers: { ...(session ? { cookie: `${SESSION_COOKIE}=${session.cookie}`, [CSRF_HEADER]: session.csrf } : {}), ...opts.headers },
  });
  const login = async (email: string, password = PASSWORD): Promise<Session> => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(cookie?.value).toBeTruthy();
    return { cookie: cookie?.value ?? '', csrf: (res.json<{ csrfToken: string }>()).csrfToken };
  };
  return {
    app, db, queue, dataDir,
    stores: { a1: a1.id, a2: a2.id, b: b.id },
    a1: { cameraId: camera.id, clipId: clip.id, violationId: violation.id, evidenceName },
    login,
    call,
    close: async () => {
      await app.close();
      await queue.close();
      if (options.db === undefined) await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
