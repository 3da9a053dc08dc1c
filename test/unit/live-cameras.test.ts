// What the live worker watches: database cameras with a host, cameras.yaml entries matched to store cameras by name,
// SOP files narrowed to the cameras they apply to, and a bad camera reported without stopping the others.
import { describe, expect, it } from 'vitest';
import { newSecretKey, secretBox } from '../../services/core/secrets.ts';
import { cameraPasswordContext, type EnabledSop, type LiveCameraRow } from '../../services/core/storage/live-cameras.repository.ts';
import { liveConfigFromObject } from '../../services/live/camera-config.ts';
import { planLive } from '../../services/service/live-cameras.ts';

const row = (over: Partial<LiveCameraRow> & Pick<LiveCameraRow, 'id' | 'name'>): LiveCameraRow => ({ storeId: 's1', host: null, tags: [], config: {}, passwordSealed: null, ...over });
const sop = (over: Partial<EnabledSop> & { cameras: string[]; sopId?: string }): EnabledSop => {
  const sopId = over.sopId ?? 'bar';
  return { storeId: 's1', sopId, version: 3, cameraIds: null, ...over, compiled: { id: sopId, title: sopId, cameras: over.cameras, zones: {}, rules: [] } as unknown as EnabledSop['compiled'] };
};

describe('planLive', () => {
  it('watches database cameras that have a host, with their stream settings and the defaults filled in', () => {
    const { plans, problems } = planLive({
      rows: [row({ id: 'c1', name: 'Bar-1', host: '10.0.0.5', config: { source: 'snapshot', snapshotUrl: 'http://10.0.0.5/snap.jpg', fps: 1 } }), row({ id: 'c2', name: 'till' })],
      sops: [],
    });
    expect(problems).toEqual([]);
    expect(plans).toHaveLength(1);
    const [cam] = plans[0]?.cameras ?? [];
    expect(cam?.from).toBe('database');
    expect(cam?.config).toMatchObject({ id: 'Bar-1', host: '10.0.0.5', source: 'snapshot', fps: 1, maxWidth: 640, onvifPort: 80 });
    expect(cam?.credentials).toBeUndefined();
    expect(plans[0]?.config.stallMs).toBe(20_000);
  });

  it('opens a database camera\'s sealed password, and never reads a variable a database row names', () => {
    const box = secretBox(newSecretKey());
    const env: Record<string, string> = { SOPWATCH_METRICS_TOKEN: 'server-secret', CAM_PW: 'from-the-file' };
    const { plans, problems } = planLive({
      rows: [
        row({ id: 'c1', name: 'sealed', host: '10.0.0.5', config: { username: 'viewer' }, passwordSealed: box.seal('pa:ss word', cameraPasswordContext('c1')) }),
        // A row saved through the API before schema v5 names a variable of the server: it is ignored.
        row({ id: 'c2', name: 'legacy', host: '10.0.0.6', config: { username: 'cam', passwordEnv: 'SOPWATCH_METRICS_TOKEN' } }),
        // A sealed value copied from another camera's row does not open.
        row({ id: 'c3', name: 'moved', host: '10.0.0.7', passwordSealed: box.seal('zq-secret-7', cameraPasswordContext('c1')) }),
        row({ id: 'c4', name: 'filed' }),
      ],
      sops: [],
      file: liveConfigFromObject({ cameras: [{ id: 'filed', host: '10.0.0.8', username: 'op', passwordEnv: 'CAM_PW' }] }),
      openPassword: (r) => box.open(r.passwordSealed, cameraPasswordContext(r.id)),
      envSecret: (name) => env[name],
    });
    const byName = new Map(plans[0]?.cameras.map((c) => [c.config.id, c]));
    expect(byName.get('sealed')?.credentials).toEqual({ username: 'viewer', password: 'pa:ss word' });
    expect(byName.get('legacy')?.credentials).toBeUndefined();
    expect(byName.get('legacy')?.config).not.toHaveProperty('passwordEnv');
    expect(byName.has('moved')).toBe(false);
    expect(byName.get('filed')?.credentials).toEqual({ username: 'op', password: 'from-the-file' });
    expect(problems).toEqual([expect.stringMatching(/camera "moved" of store s1: its stored password cannot be opened: .*integrity/)]);
    expect(problems.join('\n')).not.toContain('zq-secret-7');
  });

  it('does not watch a camera with a stored password when it has no key, and says so', () => {
    const box = secretBox(newSecretKey());
    const { plans, problems } = planLive({ rows: [row({ id: 'c1', name: 'sealed', host: '10.0.0.5', passwordSealed: box.seal('x', cameraPasswordContext('c1')) })], sops: [] });
    expect(plans).toEqual([]);
    expect(problems).toEqual(['camera "sealed" of store s1: a password is stored but this worker has no key to open it']);
  });

  it('takes cameras.yaml entries for store cameras of the same name, and refuses names that are ambiguous or unknown', () => {
    const file = liveConfigFromObject({ stallMs: 5000, cameras: [{ id: 'bar-1', host: '10.0.0.7', tags: ['bar'] }, { id: 'till', host: '10.0.0.8' }, { id: 'ghost', host: '10.0.0.9' }] });
    const { plans, problems } = planLive({
      rows: [row({ id: 'c1', name: 'bar-1', tags: ['front'] }), row({ id: 'c2', name: 'till' }), row({ id: 'c3', storeId: 's2', name: 'till' })],
      sops: [], file, settings: { backoffMaxMs: 1000 },
    });
    expect(plans.map((p) => p.storeId)).toEqual(['s1']);
    expect(plans[0]?.cameras.map((c) => [c.config.id, c.config.host, c.from, c.config.tags])).toEqual([['bar-1', '10.0.0.7', 'file', ['bar', 'front']]]);
    expect(plans[0]?.config).toMatchObject({ stallMs: 5000, backoffMaxMs: 1000 });
    expect(problems.join('\n')).toMatch(/"till" is the name of cameras in 2 stores/);
    expect(problems.join('\n')).toMatch(/"ghost" is not a camera of any store/);
  });

  it('reports a camera whose settings are invalid and still watches the others', () => {
    const { plans, problems } = planLive({
      rows: [row({ id: 'c1', name: 'a', host: '10.0.0.5', config: { fps: 50 } }), row({ id: 'c2', name: 'b', host: '10.0.0.6', config: { password: 'x' } }), row({ id: 'c3', name: 'c', host: '10.0.0.7' })],
      sops: [],
    });
    expect(plans[0]?.cameras.map((c) => c.config.id)).toEqual(['c']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/camera "a" of store s1: .*fps/);
  });

  it('narrows each SOP to the cameras it applies to: by name, tag or "*", and the camera choice of the enabled version', () => {
    const rows = [row({ id: 'c1', name: 'bar-1', host: 'h1', tags: ['bar'] }), row({ id: 'c2', name: 'bar-2', host: 'h2', tags: ['bar'] }), row({ id: 'c3', name: 'door', host: 'h3' })];
    const { plans } = planLive({
      rows,
      sops: [
        sop({ sopId: 'bar', cameras: ['bar'] }),
        sop({ sopId: 'any', cameras: ['*'], cameraIds: ['c3'] }),
        sop({ sopId: 'named', cameras: ['bar-2', 'elsewhere'] }),
        sop({ sopId: 'none', cameras: ['elsewhere'] }),
        sop({ sopId: 'other-store', storeId: 's2', cameras: ['*'] }),
      ],
    });
    const sops = Object.fromEntries((plans[0]?.sops ?? []).map((s) => [s.id, s.cameras]));
    expect(sops).toEqual({ bar: ['bar-1', 'bar-2'], any: ['door'], named: ['bar-2'] });
    expect(plans[0]?.versions).toEqual({ bar: 3, any: 3, named: 3 });
  });

  it('changes the fingerprint when a setting, a camera or an SOP version changes, and only then', () => {
    const rows = [row({ id: 'c1', name: 'bar-1', host: 'h1' })];
    const base = planLive({ rows, sops: [sop({ cameras: ['*'] })] }).plans[0]?.fingerprint;
    expect(planLive({ rows, sops: [sop({ cameras: ['*'] })] }).plans[0]?.fingerprint).toBe(base);
    expect(planLive({ rows, sops: [sop({ cameras: ['*'], version: 4 })] }).plans[0]?.fingerprint).not.toBe(base);
    expect(planLive({ rows: [row({ id: 'c1', name: 'bar-1', host: 'h1', config: { fps: 1 } })], sops: [sop({ cameras: ['*'] })] }).plans[0]?.fingerprint).not.toBe(base);
    expect(planLive({ rows, sops: [sop({ cameras: ['*'] })], settings: { stallMs: 3000 } }).plans[0]?.fingerprint).not.toBe(base);
  });
});
