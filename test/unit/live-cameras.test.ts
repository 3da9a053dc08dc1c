// What the live worker watches: database cameras with a host, cameras.yaml entries matched to store cameras by name,
// SOP files narrowed to the cameras they apply to, and a bad camera reported without stopping the others.
import { describe, expect, it } from 'vitest';
import type { EnabledSop, LiveCameraRow } from '../../services/core/storage/live-cameras.repository.ts';
import { liveConfigFromObject } from '../../services/live/camera-config.ts';
import { planLive } from '../../services/service/live-cameras.ts';

const row = (over: Partial<LiveCameraRow> & Pick<LiveCameraRow, 'id' | 'name'>): LiveCameraRow => ({ storeId: 's1', host: null, tags: [], config: {}, ...over });
const sop = (over: Partial<EnabledSop> & { cameras: string[]; sopId?: string }): EnabledSop => {
  const sopId = over.sopId ?? 'bar';
  return { storeId: 's1', sopId, version: 3, cameraIds: null, ...over, compiled: { id: sopId, title: sopId, cameras: over.cameras, zones: {}, rules: [] } as unknown as EnabledSop['compiled'] };
};

describe('planLive', () => {
  it('watches database cameras that have a host, with their stream settings and the defaults filled in', () => {
    const { plans, problems } = planLive({
      rows: [row({ id: 'c1', name: 'Bar-1', host: '10.0.0.5', config: { source: 'snapshot', snapshotUrl: 'http://10.0.0.5/snap.jpg', passwordEnv: 'BAR_PW', fps: 1 } }), row({ id: 'c2', name: 'till' })],
      sops: [],
    });
    expect(problems).toEqual([]);
    expect(plans).toHaveLength(1);
    const [cam] = plans[0]?.cameras ?? [];
    expect(cam?.from).toBe('database');
    expect(cam?.config).toMatchObject({ id: 'Bar-1', host: '10.0.0.5', source: 'snapshot', passwordEnv: 'BAR_PW', fps: 1, maxWidth: 640, onvifPort: 80 });
    expect(plans[0]?.config.stallMs).toBe(20_000);
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
