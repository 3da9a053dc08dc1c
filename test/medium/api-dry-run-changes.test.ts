// The dry run of an edited SOP says what would change against the store's decided alerts on the clip (PGlite, real analysis).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';

interface Changes {
  confirmedKept: number;
  confirmedGone: Array<{ id: string; rule: string }>;
  dismissedKept: number;
  dismissedGone: Array<{ id: string; rule: string }>;
  undecidedKept: number;
  undecidedGone: number;
  added: Array<{ rule: string; kind: string; start: number; end: number }>;
  toleranceS: number;
}

describe('dry run against past decisions', () => {
  let f: ApiFixture;
  let manager: Session;
  beforeAll(async () => {
    f = await apiFixture();
    manager = await f.login(USERS.managerA);
  });
  afterAll(async () => f.close());

  it('counts confirmed alerts that would disappear, dismissed ones too, and new ones', async () => {
    // Nobody at the counter for 3 s: the stored SOP raised a gap for both rules.
    const path = join(f.dataDir, 'clips', 'empty.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=3:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path]);
    const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, cameraId: f.a1.cameraId, filename: 'empty.mp4', path, bytes: 1 });
    const violations = new ViolationRepository(f.db);
    const user = await new UserRepository(f.db).findByEmail(USERS.managerA);
    const stored = async (rule: string, startMs: number, endMs: number, decision?: 'confirmed' | 'dismissed'): Promise<string> => {
      const { violation } = await violations.upsert({
        storeId: f.stores.a1, clipId: clip.id, sopVersion: 1,
        violation: {
          id: `counter-staffed/${rule}/gap/-/*/${startMs}`, sop: 'counter-staffed', rule, kind: ViolationKind.Gap, cameraId: f.a1.cameraId,
          startMs, endMs, severity: 'high', message: 'nobody at the counter', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*',
        },
      });
      if (decision) await violations.review({ violationId: violation.id, userId: user?.id ?? '', decision });
      return violation.id;
    };
    await stored('staffed', 0, 3000, 'dismissed'); // the draft still raises it: a false alarm kept
    const lostTrue = await stored('staffed-loosely', 0, 3000, 'confirmed'); // the draft loosens this rule: a true alert lost
    const lostFalse = await stored('staffed', 20_000, 26_000, 'dismissed'); // nothing like it in the draft's run: a false alarm gone
    await stored('staffed', 40_000, 41_000); // undecided, gone
    // Another clip's decided alert is not this clip's business.
    await violations.review({ violationId: f.a1.violationId, userId: user?.id ?? '', decision: 'confirmed' });

    const draft = SOP_YAML.replace('max_gap: 2s', 'max_gap: 10s')
      + '  - id: staffed-strictly\n    kind: required\n    when: { person_in: counter }\n    max_gap: 500ms\n';
    const res = await f.call(manager, { method: 'POST', url: `/api/stores/${f.stores.a1}/sops/dry-run`, payload: { yaml: draft, clipId: clip.id } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ violations: Array<{ rule: string }>; changes: Changes }>();
    expect(body.violations.map((v) => v.rule).sort()).toEqual(['staffed', 'staffed-strictly']);
    const c = body.changes;
    expect(c.toleranceS).toBe(3);
    expect(c.confirmedKept).toBe(0);
    expect(c.confirmedGone.map((a) => a.id)).toEqual([lostTrue]);
    expect(c.dismissedKept).toBe(1);
    expect(c.dismissedGone.map((a) => a.id)).toEqual([lostFalse]);
    expect(c.undecidedGone).toBe(1);
    expect(c.added.map((a) => `${a.rule}:${a.kind}`)).toEqual(['staffed-strictly:gap']);
    // Nothing was stored or decided by the dry run.
    const after = await violations.list({ storeIds: [f.stores.a1], clipId: clip.id });
    expect(after.map((v) => v.status).sort()).toEqual(['confirmed', 'dismissed', 'dismissed', 'open']);
  }, 180_000);
});
