// The eval table in plain text: per clip what was missed and extra, then per rule and in total.
import type { EvalReport } from './run-eval.ts';
import type { Counts } from './score.ts';

const pct = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
const span = (e: { start: number; end: number }): string => `${e.start}-${e.end} s`;

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd());
}

const cells = (name: string, clips: number, c: Counts): string[] =>
  [name, String(clips), String(c.labels), String(c.found), String(c.missed), String(c.extra), String(c.may), pct(c.precision), pct(c.recall)];

export function formatEval(report: EvalReport): string {
  const lines: string[] = [];
  for (const clip of report.clips) {
    const s = clip.score;
    lines.push(`${clip.clip} (${clip.sop}, ${clip.durationS.toFixed(1)} s, ${clip.frames} frames): ${s.found.length} found, ${s.missed.length} missed, ${s.extra.length} extra${clip.needsReview > 0 ? `, ${clip.needsReview} left for review (not counted)` : ''}`);
    for (const m of s.missed) lines.push(`  missed ${m.rule} ${m.kind} ${span(m)}`);
    for (const e of s.extra) lines.push(`  extra  ${e.rule} ${e.kind} ${span(e)}`);
  }
  if (lines.length > 0) lines.push('');
  const header = ['rule', 'clips', 'labels', 'found', 'missed', 'extra', 'may', 'precision', 'recall'];
  lines.push(...table([header, ...report.rules.map((r) => cells(r.rule, r.clips, r)), cells('total', report.total.clips, report.total)]));
  lines.push('', `Match rule: ${report.matchRule}. Labels marked "may" are counted neither way (column "may": detections that matched one).`);
  return lines.join('\n');
}
