// The compliance score: per store and rule, the share of checks without a violation, its trend, stores ranked.
//
// What a check is. The rule engine keeps nothing of an episode that passed (it emits verdicts for violations and
// doubtful cases only), so passed episodes cannot be counted from what is stored. The closest honest unit that is
// stored is the footage a rule was judged on:
//   - an uploaded clip analysed to the end (`done`): one check per rule that applies to its camera;
//   - a live camera: one check per rule and clock hour in which the camera was watched for at least a moment, from
//     when it was added, once a worker has reported watching it (from then on every stretch it was not watched is
//     recorded as "not monitored"; hours entirely inside those spans are no check: nothing was seen there).
// A rule applies to a camera as the dashboard's SOP assignment says (enabled file version, `cameras:` naming the camera
// or `*`, the file's camera choice), from the moment the store's first version of that SOP file was added. Shadow rules
// and shadow violations never count. A check with an open or confirmed violation of its rule is violated; one whose
// only violations await a person (`needs_review`) is counted apart and left out of the score; a check whose violations
// were all dismissed is compliant. A violation outside every check (its rule was removed since, or a live camera's
// hour was marked not monitored) adds its own check, so no violation is ever lost.
// score = compliant / (compliant + violated); null when nothing was checked.
import type { ComplianceFacts, ScoreCamera, ScoreRule } from '../core/storage/compliance-facts.repository.ts';
import { bucketStart, bucketStarts, type Bucket } from './accuracy.ts';

const HOUR_MS = 3_600_000;

export interface ScoreCounts {
  /** Checks in the period: compliant + violated + needsReview. */
  checked: number;
  compliant: number;
  violated: number;
  /** Checks whose violations await a person's decision: shown, not scored. */
  needsReview: number;
  /** compliant / (compliant + violated), 3 decimals; null when there is nothing to score. */
  score: number | null;
}

export interface ScoreTrendPoint extends ScoreCounts {
  /** First day of the bucket (a Monday for weeks). */
  start: string;
}

export interface StoreScore extends ScoreCounts {
  storeId: string;
  storeName: string;
  /** 1 = best; stores with the same score share a rank; null without a score. */
  rank: number | null;
  /** Analysed clips and live camera-hours watched: the footage behind the checks. */
  clips: number;
  watchedHours: number;
  /** Live camera time not watched in the period (as the "not monitored" report): excluded from the score. */
  notMonitoredSeconds: number;
  trend: ScoreTrendPoint[];
}

export interface RuleScore extends ScoreCounts {
  storeId: string;
  storeName: string;
  sopId: string;
  rule: string;
  title: string;
  titleZh: string | null;
}

export interface ComplianceScore {
  from: string;
  to: string;
  bucket: Bucket;
  /** Ranked, best first; stores without checks last. */
  stores: StoreScore[];
  /** Worst first: lowest score, then most violated checks. */
  rules: RuleScore[];
  /** All the stores asked for together. */
  trend: ScoreTrendPoint[];
}

interface Tally {
  compliant: number;
  violated: number;
  needsReview: number;
}

type Outcome = keyof Tally;

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of an instant in a time zone (UTC for a zone this Node does not know). */
export function localDayOf(ms: number, tz: string): string {
  let f = dayFormats.get(tz);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' });
    }
    dayFormats.set(tz, f);
  }
  return f.format(new Date(ms));
}

function applies(rule: ScoreRule, camera: ScoreCamera): boolean {
  return rule.storeId === camera.storeId
    && (rule.cameraIds === null || rule.cameraIds.includes(camera.id))
    && rule.cameras.some((c) => c === '*' || c === camera.name);
}

/** Clock hours of [startMs, endMs) in which the camera was watched at all, given its not-monitored spans. */
function watchedHours(startMs: number, endMs: number, spans: ReadonlyArray<{ startMs: number; endMs: number }>): number[] {
  const merged: Array<{ startMs: number; endMs: number }> = [];
  for (const s of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s.startMs <= last.endMs) last.endMs = Math.max(last.endMs, s.endMs);
    else merged.push({ ...s });
  }
  const out: number[] = [];
  for (let h = Math.floor(startMs / HOUR_MS) * HOUR_MS; h < endMs; h += HOUR_MS) {
    const a = Math.max(h, startMs);
    const b = Math.min(h + HOUR_MS, endMs);
    const covered = merged.reduce((sum, s) => sum + Math.max(0, Math.min(b, s.endMs) - Math.max(a, s.startMs)), 0);
    if (b - a - covered > 0) out.push(h);
  }
  return out;
}

const scoreOf = (t: Tally): ScoreCounts => {
  const scored = t.compliant + t.violated;
  return {
    checked: scored + t.needsReview, compliant: t.compliant, violated: t.violated, needsReview: t.needsReview,
    score: scored === 0 ? null : Math.round((t.compliant / scored) * 1000) / 1000,
  };
};

export interface ScoreInput {
  from: string;
  to: string;
  bucket: Bucket;
  /** The instants that hold every local day asked for (the caller widens them for time zones). */
  fromMs: number;
  toMs: number;
  nowMs: number;
  facts: ComplianceFacts;
  /** Not-monitored seconds per store and local day (camera-unmonitored.repository.ts byDay). */
  notMonitored: ReadonlyArray<{ storeId: string; day: string; seconds: number }>;
}

export function complianceScore(input: ScoreInput): ComplianceScore {
  const { from, to, facts } = input;
  const inRange = (day: string): boolean => day >= from && day <= to;
  // Every live camera of a zone asks for the same hours: formatting each once keeps a year of hours cheap.
  const hourDays = new Map<string, string>();
  const hourDay = (hourMs: number, tz: string): string => {
    const key = `${tz}|${hourMs}`;
    let day = hourDays.get(key);
    if (day === undefined) hourDays.set(key, (day = localDayOf(hourMs, tz)));
    return day;
  };
  const tzOf = new Map(facts.stores.map((s) => [s.id, s.tz]));
  const cameraById = new Map(facts.cameras.map((c) => [c.id, c]));
  const ruleByKey = new Map(facts.rules.map((r) => [`${r.storeId}|${r.sopId}/${r.rule}`, r]));
  /** store|sop/rule|day -> tally */
  const tallies = new Map<string, Tally>();
  const tally = (storeId: string, sopId: string, rule: string, day: string): Tally => {
    const key = `${storeId}|${sopId}/${rule}|${day}`;
    let t = tallies.get(key);
    if (t === undefined) {
      t = { compliant: 0, violated: 0, needsReview: 0 };
      tallies.set(key, t);
    }
    return t;
  };
  const footage = new Map<string, { clips: number; hours: number }>();
  const footageOf = (storeId: string): { clips: number; hours: number } => {
    let f = footage.get(storeId);
    if (f === undefined) footage.set(storeId, (f = { clips: 0, hours: 0 }));
    return f;
  };

  // Every check starts compliant; violations below move theirs.
  const watched = new Map<string, Set<number>>();
  const clipById = new Map(facts.clips.map((c) => [c.id, c]));
  const clipsOf = new Map<string, ComplianceFacts['clips']>();
  for (const c of facts.clips) clipsOf.set(c.cameraId, [...(clipsOf.get(c.cameraId) ?? []), c]);
  for (const camera of facts.cameras) {
    const tz = tzOf.get(camera.storeId) ?? 'UTC';
    const rules = facts.rules.filter((r) => applies(r, camera));
    for (const clip of clipsOf.get(camera.id) ?? []) {
      const day = localDayOf(clip.atMs, tz);
      if (!inRange(day)) continue;
      footageOf(camera.storeId).clips += 1;
      for (const r of rules) if (r.sinceMs <= clip.atMs) tally(camera.storeId, r.sopId, r.rule, day).compliant += 1;
    }
    if (!camera.live) continue;
    const spans = facts.spans.filter((s) => s.cameraId === camera.id && s.storeId === camera.storeId)
      .map((s) => ({ startMs: s.startMs, endMs: s.endMs ?? input.nowMs }));
    const hours = watchedHours(Math.max(input.fromMs, camera.createdAtMs), Math.min(input.toMs, input.nowMs), spans)
      .filter((h) => inRange(hourDay(h, tz)));
    watched.set(camera.id, new Set(hours));
    footageOf(camera.storeId).hours += hours.length;
    const hoursByDay = new Map<string, number[]>();
    for (const h of hours) {
      const day = hourDay(h, tz);
      const list = hoursByDay.get(day);
      if (list === undefined) hoursByDay.set(day, [h]);
      else list.push(h);
    }
    // Summed per day, not per hour: a year of hours times every rule would be half a million map updates.
    for (const [day, list] of hoursByDay) {
      for (const r of rules) {
        const n = r.sinceMs < (list[0] ?? 0) + HOUR_MS ? list.length : list.filter((h) => r.sinceMs < h + HOUR_MS).length;
        if (n > 0) tally(camera.storeId, r.sopId, r.rule, day).compliant += n;
      }
    }
  }

  // The violations of one check decide it together: any standing one violates it; doubtful ones alone wait.
  const groups = new Map<string, { storeId: string; sopId: string; rule: string; day: string; baseline: boolean; outcome: Outcome }>();
  const rank: Record<Outcome, number> = { compliant: 0, needsReview: 1, violated: 2 };
  for (const v of facts.violations) {
    const tz = tzOf.get(v.storeId) ?? 'UTC';
    const rule = ruleByKey.get(`${v.storeId}|${v.sopId}/${v.rule}`);
    let key: string;
    let day: string;
    let baseline: boolean;
    if (v.clipId !== null) {
      const clip = clipById.get(v.clipId);
      if (clip === undefined) continue;
      const camera = cameraById.get(clip.cameraId);
      key = `clip|${clip.id}|${v.sopId}/${v.rule}`;
      day = localDayOf(clip.atMs, tz);
      baseline = rule !== undefined && camera !== undefined && applies(rule, camera) && rule.sinceMs <= clip.atMs;
    } else {
      if (v.startMs === null) continue;
      const hour = Math.floor(v.startMs / HOUR_MS) * HOUR_MS;
      const camera = cameraById.get(v.cameraId);
      key = `live|${v.cameraId}|${hour}|${v.sopId}/${v.rule}`;
      day = hourDay(hour, tz);
      baseline = rule !== undefined && camera !== undefined && (watched.get(camera.id)?.has(hour) ?? false)
        && applies(rule, camera) && rule.sinceMs < hour + HOUR_MS;
    }
    if (!inRange(day)) continue;
    const outcome: Outcome = v.status === 'open' || v.status === 'confirmed' ? 'violated' : v.status === 'needs_review' ? 'needsReview' : 'compliant';
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { storeId: v.storeId, sopId: v.sopId, rule: v.rule, day, baseline, outcome });
    else if (rank[outcome] > rank[g.outcome]) g.outcome = outcome;
  }
  for (const g of groups.values()) {
    const t = tally(g.storeId, g.sopId, g.rule, g.day);
    if (g.baseline) t.compliant -= 1;
    t[g.outcome] += 1;
  }

  return summarise(input, tallies, footage);
}

function summarise(input: ScoreInput, tallies: Map<string, Tally>, footage: Map<string, { clips: number; hours: number }>): ComplianceScore {
  const { from, to, bucket, facts } = input;
  const zero = (): Tally => ({ compliant: 0, violated: 0, needsReview: 0 });
  const add = (into: Tally, t: Tally): void => {
    into.compliant += t.compliant;
    into.violated += t.violated;
    into.needsReview += t.needsReview;
  };
  const starts = bucketStarts(from, to, bucket);
  const perStore = new Map(facts.stores.map((s) => [s.id, { total: zero(), buckets: new Map(starts.map((b) => [b, zero()])) }]));
  const perRule = new Map<string, Tally>();
  const overall = new Map(starts.map((b) => [b, zero()]));
  for (const [key, t] of tallies) {
    const [storeId = '', rule = '', day = ''] = key.split('|');
    const b = bucketStart(day, bucket);
    const s = perStore.get(storeId);
    if (s !== undefined) {
      add(s.total, t);
      const sb = s.buckets.get(b);
      if (sb !== undefined) add(sb, t);
    }
    const ob = overall.get(b);
    if (ob !== undefined) add(ob, t);
    const rk = `${storeId}|${rule}`;
    const rt = perRule.get(rk) ?? zero();
    add(rt, t);
    perRule.set(rk, rt);
  }
  const unmonitored = new Map<string, number>();
  for (const n of input.notMonitored) {
    if (n.day >= from && n.day <= to) unmonitored.set(n.storeId, (unmonitored.get(n.storeId) ?? 0) + n.seconds);
  }
  const stores: StoreScore[] = facts.stores.map((s) => {
    const p = perStore.get(s.id);
    return {
      storeId: s.id, storeName: s.name, rank: null,
      ...scoreOf(p?.total ?? zero()),
      clips: footage.get(s.id)?.clips ?? 0,
      watchedHours: footage.get(s.id)?.hours ?? 0,
      notMonitoredSeconds: unmonitored.get(s.id) ?? 0,
      trend: starts.map((start) => ({ start, ...scoreOf(p?.buckets.get(start) ?? zero()) })),
    };
  });
  stores.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.storeName.localeCompare(b.storeName));
  for (const [i, s] of stores.entries()) {
    const prev = stores[i - 1];
    if (s.score !== null) s.rank = prev !== undefined && prev.score === s.score ? prev.rank : i + 1;
  }
  const storeName = new Map(facts.stores.map((s) => [s.id, s.name]));
  const titles = new Map(facts.rules.map((r) => [`${r.storeId}|${r.sopId}/${r.rule}`, r]));
  const rules: RuleScore[] = [...perRule].map(([key, t]) => {
    const [storeId = '', sopRule = ''] = key.split('|');
    const slash = sopRule.indexOf('/');
    const sopId = sopRule.slice(0, slash);
    const rule = sopRule.slice(slash + 1);
    const known = titles.get(key);
    return { storeId, storeName: storeName.get(storeId) ?? storeId, sopId, rule, title: known?.title ?? rule, titleZh: known?.titleZh ?? null, ...scoreOf(t) };
  });
  rules.sort((a, b) => (a.score ?? 2) - (b.score ?? 2) || b.violated - a.violated || a.storeName.localeCompare(b.storeName) || a.title.localeCompare(b.title));
  return { from, to, bucket, stores, rules, trend: starts.map((start) => ({ start, ...scoreOf(overall.get(start) ?? zero()) })) };
}
