// What an SOP edit would change: stored alerts with their decisions vs a dry run, by the eval match rule.
import { describe, expect, it } from 'vitest';
import { compareWithDecisions, type StoredAlert } from '../../services/eval/index.ts';

const alert = (id: string, status: StoredAlert['status'], rule: string, start: number, end: number): StoredAlert => ({ id, status, rule, kind: 'gap', start, end });

describe('SOP edit vs past decisions', () => {
  it('counts confirmed and dismissed alerts kept and gone, and new ones', () => {
    const stored = [
      alert('c1', 'confirmed', 'a', 10, 20),
      alert('c2', 'confirmed', 'a', 40, 50),
      alert('d1', 'dismissed', 'a', 60, 62),
      alert('d2', 'dismissed', 'b', 5, 9),
      alert('o1', 'open', 'b', 30, 31),
    ];
    const dry = [
      { rule: 'a', kind: 'gap', start: 11, end: 22 }, // c1 (within 3 s)
      { rule: 'a', kind: 'gap', start: 40, end: 54 }, // not c2: end 4 s off -> new
      { rule: 'b', kind: 'gap', start: 5.5, end: 9 }, // d2 still raised
      { rule: 'b', kind: 'gap', start: 30, end: 31 }, // o1
      { rule: 'c', kind: 'gap', start: 1, end: 2 },
    ];
    const c = compareWithDecisions(stored, dry, 3);
    expect(c.confirmedKept).toBe(1);
    expect(c.confirmedGone.map((a) => a.id)).toEqual(['c2']);
    expect(c.dismissedKept).toBe(1);
    expect(c.dismissedGone).toEqual([{ id: 'd1', rule: 'a', kind: 'gap', start: 60, end: 62 }]);
    expect(c.undecidedKept).toBe(1);
    expect(c.undecidedGone).toBe(0);
    expect(c.added).toEqual([{ rule: 'a', kind: 'gap', start: 40, end: 54 }, { rule: 'c', kind: 'gap', start: 1, end: 2 }]);
    expect(c.matchRule).toContain('within 3 s');
  });

  it('one dry-run alert stands for at most one stored alert', () => {
    const c = compareWithDecisions([alert('c1', 'confirmed', 'a', 10, 20), alert('d1', 'dismissed', 'a', 10.5, 20.5)], [{ rule: 'a', kind: 'gap', start: 10, end: 20 }], 3);
    expect(c.confirmedKept).toBe(1);
    expect(c.dismissedGone.map((a) => a.id)).toEqual(['d1']);
    expect(c.added).toEqual([]);
  });

  it('an unchanged SOP changes nothing; an empty dry run loses everything', () => {
    const stored = [alert('c1', 'confirmed', 'a', 10, 20), alert('d1', 'dismissed', 'a', 30, 40)];
    const same = compareWithDecisions(stored, stored.map(({ rule, kind, start, end }) => ({ rule, kind, start, end })), 3);
    expect(same).toMatchObject({ confirmedKept: 1, confirmedGone: [], dismissedKept: 1, dismissedGone: [], added: [] });
    const none = compareWithDecisions(stored, [], 3);
    expect(none.confirmedGone.length + none.dismissedGone.length).toBe(2);
  });
});
