// The compliance score's arithmetic on hand-made facts: local days in the store's zone, rules counted from when they
// came, open not-monitored spans, a violation in an hour nobody watched, the camera choice of an SOP file, ties in rank.
import { describe, expect, it } from 'vitest';
import { complianceScore, type ScoreInput } from '../../services/eval/compliance-score.ts';
import type { ComplianceFacts, ScoreRule } from '../../services/core/storage/compliance-facts.repository.ts';

const ms = (iso: string): number => Date.parse(iso);

const rule = (over: Partial<ScoreRule> & Pick<ScoreRule, 'storeId' | 'rule'>): ScoreRule => ({
  sopId: 'sop', title: over.rule, titleZh: null, cameras: ['*'], cameraIds: null, sinceMs: ms('2026-01-01T00:00:00Z'), ...over,
});

function input(facts: Partial<ComplianceFacts>, over: Partial<ScoreInput> = {}): ScoreInput {
  return {
    from: '2026-03-02', to: '2026-03-03', bucket: 'day',
    fromMs: ms('2026-03-01T09:00:00Z'), toMs: ms('2026-03-04T15:00:00Z'), nowMs: ms('2026-03-10T00:00:00Z'),
    facts: { stores: [], cameras: [], rules: [], clips: [], violations: [], spans: [], ...facts },
    notMonitored: [],
    ...over,
  };
}

describe('compliance score', () => {
  it('puts a clip on its store\'s local day and counts a rule only from when its SOP came', () => {
    const r = complianceScore(input({
      stores: [{ id: 's', name: 'Shanghai', tz: 'Asia/Shanghai' }],
      cameras: [{ id: 'c', storeId: 's', name: 'bar', live: false, createdAtMs: 0 }],
      rules: [rule({ storeId: 's', rule: 'old' }), rule({ storeId: 's', rule: 'new', sinceMs: ms('2026-03-02T12:00:00Z') })],
      clips: [
        { id: 'k1', storeId: 's', cameraId: 'c', atMs: ms('2026-03-02T10:00:00Z') }, // 18:00 on 2 March: "new" not there yet
        { id: 'k2', storeId: 's', cameraId: 'c', atMs: ms('2026-03-02T17:00:00Z') }, // 01:00 on 3 March
        { id: 'k3', storeId: 's', cameraId: 'c', atMs: ms('2026-03-03T17:00:00Z') }, // 01:00 on 4 March: outside
      ],
    }));
    expect(r.stores[0]?.trend.map((p) => [p.start, p.checked])).toEqual([['2026-03-02', 1], ['2026-03-03', 2]]);
    expect(r.stores[0]?.clips).toBe(2);
  });

  it('watches a live camera hour by hour, an open span to now, and gives a violation in an unwatched hour its own check', () => {
    const r = complianceScore(input({
      stores: [{ id: 's', name: 'London', tz: 'UTC' }],
      cameras: [{ id: 'c', storeId: 's', name: 'bar', live: true, createdAtMs: ms('2026-03-03T20:00:00Z') }],
      rules: [rule({ storeId: 's', rule: 'r' })],
      // Open since 22:30: hour 22 was watched half, hour 23 not at all.
      spans: [{ storeId: 's', cameraId: 'c', startMs: ms('2026-03-03T22:30:00Z'), endMs: null }],
      violations: [
        { storeId: 's', cameraId: 'c', clipId: null, sopId: 'sop', rule: 'r', status: 'open', startMs: ms('2026-03-03T23:10:00Z') },
        { storeId: 's', cameraId: 'c', clipId: null, sopId: 'sop', rule: 'r', status: 'dismissed', startMs: ms('2026-03-03T20:10:00Z') },
      ],
    }));
    const s = r.stores[0];
    expect([s?.watchedHours, s?.checked, s?.compliant, s?.violated, s?.score]).toEqual([3, 4, 3, 1, 0.75]);
  });

  it('keeps to the cameras an SOP file was chosen for, and ranks equal scores equal', () => {
    const cam = (id: string, storeId: string) => ({ id, storeId, name: id, live: false, createdAtMs: 0 });
    const clip = (id: string, storeId: string, cameraId: string) => ({ id, storeId, cameraId, atMs: ms('2026-03-02T10:00:00Z') });
    const r = complianceScore(input({
      stores: [{ id: 'a', name: 'A', tz: 'UTC' }, { id: 'b', name: 'B', tz: 'UTC' }, { id: 'c', name: 'C', tz: 'UTC' }],
      cameras: [cam('a1', 'a'), cam('a2', 'a'), cam('b1', 'b')],
      rules: [rule({ storeId: 'a', rule: 'r', cameraIds: ['a1'] }), rule({ storeId: 'b', rule: 'r', cameras: ['b1'] })],
      clips: [clip('x', 'a', 'a1'), clip('y', 'a', 'a2'), clip('z', 'b', 'b1')],
    }));
    expect(r.stores.map((s) => [s.storeName, s.rank, s.checked, s.score])).toEqual([['A', 1, 1, 1], ['B', 1, 1, 1], ['C', null, 0, null]]);
  });
});
