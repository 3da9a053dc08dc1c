// A plain-English account of a compiled SOP, for a store manager to check before a rule goes live.
import type { CompiledSop, Condition, Rule, Schedule, SequenceStep, Smoothing, Verify } from './compiled.ts';
import { formatDuration as d } from './duration.ts';

export function explainSop(sop: CompiledSop): string {
  const lines: string[] = [];
  const revision = sop.revision === undefined ? '' : `, revision ${sop.revision}`;
  lines.push(`${sop.title} (${sop.id}, format v${sop.version}${revision}, from ${sop.source})`);
  lines.push(`Cameras: ${sop.cameras.includes('*') ? 'every camera' : sop.cameras.join(', ')}.`);
  const zoneLines = Object.entries(sop.zones).map(([camera, byName]) => {
    const where = camera === '*' ? 'on every camera' : `on camera ${camera}`;
    return `  ${where}: ${Object.keys(byName).join(', ')}`;
  });
  lines.push(zoneLines.length > 0 ? `Zones:\n${zoneLines.join('\n')}` : 'Zones: none (rules look at the whole image).');
  for (const [i, rule] of sop.rules.entries()) {
    lines.push('', `${i + 1}. ${rule.title} [${rule.id}, ${rule.kind}]`);
    lines.push(...explainRule(rule).map((l) => `   ${l}`));
  }
  return lines.join('\n') + '\n';
}

function explainRule(rule: Rule): string[] {
  const out: string[] = [];
  if (!rule.enabled) out.push('OFF: this rule is disabled (enabled: false) and checks nothing.');
  switch (rule.kind) {
    case 'duration':
      out.push('Counts each person apart: every person\'s episode is judged on its own.');
      if (rule.minMs !== undefined) out.push(`Flags ${episode(rule.when)} that lasts less than ${d(rule.minMs)} (too_short).`);
      if (rule.maxMs !== undefined) out.push(`Flags ${episode(rule.when)} that lasts more than ${d(rule.maxMs)}, as soon as it passes ${d(rule.maxMs)} (too_long).`);
      break;
    case 'forbidden': {
      const held = rule.forMs > 0 ? ` for ${d(rule.forMs)} or longer` : '';
      const perSubject = rule.verify?.per === 'subject';
      if (!rule.verify) {
        out.push(`Flags it when ${phrase(rule.when)}${held} (forbidden).`);
      } else {
        out.push(`When ${phrase(rule.when)}${held}, ${ask(rule.verify)}`);
        out.push(`Flags it (forbidden) only when the model answers "${opposite(rule.verify)}".`);
      }
      out.push(perSubject
        ? 'Counts each person apart: one question and one violation per person.'
        : 'Counts episodes, not people: several at once make one violation that lists them, from the first one in to the last one out' +
          `${rule.verify ? ', and one question about all of them' : ''}.`);
      break;
    }
    case 'required':
      out.push('Counts the scene: anyone holding the condition closes a gap.');
      out.push(`${window(rule.schedule)}, flags any stretch longer than ${d(rule.maxGapMs)} when ${negate(rule.when)} (gap).`);
      break;
    case 'sequence':
      out.push(`A run starts each time ${phrase(rule.trigger)}.`);
      out.push(`It must finish ${rule.order === 'strict' ? 'these steps, in this order,' : 'these steps, in any order,'} within ${d(rule.withinMs)}:`);
      out.push(...rule.steps.map((s, j) => `  ${j + 1}. ${step(s)}`));
      out.push(
        `Flags a step not seen (missing_step)${rule.order === 'strict' ? ', steps out of order (out_of_order)' : ''}, ` +
          `a run not finished within ${d(rule.withinMs)} (timeout)` +
          `${rule.steps.some((s) => s.verify) ? ' and a step the model did not confirm (verify_failed)' : ''}.`,
      );
      out.push(`A run with no trigger and no step seen for ${d(rule.idleMs)} ends early.`);
      break;
  }
  out.push(`Severity: ${rule.severity}.${rule.shadow ? ' Shadow mode: violations are recorded for review but no alert is sent.' : ''}`);
  out.push(smoothing(rule.smoothing));
  return out;
}

function step(s: SequenceStep): string {
  const held = s.minMs > 0 ? ` for at least ${d(s.minMs)}` : '';
  const name = s.title === s.id ? s.id : `${s.title} (${s.id})`;
  const check = s.verify ? ` Then ${ask(s.verify)}` : ' Detector only, no model question.';
  return `${name}: ${phrase(s.detect)}${held}.${check}`;
}

function ask(v: Verify): string {
  return (
    `asks the model "${v.question}" about ${v.frames} frame${v.frames === 1 ? '' : 's'}; a compliant scene answers "${v.expect}". ` +
    'An unsure answer, or no model reachable, goes to a person for review.'
  );
}

function opposite(v: Verify): string {
  return v.expect === 'yes' ? 'no' : 'yes';
}

const DAY_NAMES = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' } as const;

function window(s: Schedule | undefined): string {
  if (!s) return 'At all times';
  const days = s.days.length === 7 ? 'every day' : `on ${s.days.map((x) => DAY_NAMES[x]).join(', ')}`;
  const crosses = s.toMin <= s.fromMin ? ' (crossing midnight)' : '';
  return `From ${clock(s.fromMin)} to ${clock(s.toMin)}${crosses} ${days}, time zone ${s.tz}`;
}

function clock(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

function smoothing(s: Smoothing): string {
  return `Counts a condition as started once it has held ${d(s.enterMs)}, and as ended once it has been false ${d(s.exitMs)} (filters detector flicker).`;
}

function where(zone: string): string {
  return zone === '*' ? 'anywhere in view' : `in zone ${zone}`;
}

/** "a visit to zone sink": the noun for one episode of a condition. */
function episode(c: Condition): string {
  if (c.type === 'person_in') return `a visit to zone ${c.zone}`;
  if (c.type === 'hands_in') return `a spell of hands in zone ${c.zone}`;
  return `a stretch of time when ${phrase(c)}`;
}

/** The condition as a clause: "a person is in zone grinder". */
export function phrase(c: Condition): string {
  switch (c.type) {
    case 'person_in':
      return `a person is in zone ${c.zone}`;
    case 'hands_in':
      return `hands are in zone ${c.zone}`;
    case 'object':
      return `${article(c.label)} ${c.label} is seen ${where(c.zone)}${c.minScore === undefined ? '' : ` (detector score at least ${c.minScore})`}`;
    case 'count':
      return `the number of ${plural(c.of)} ${where(c.zone)} is ${bounds(c.gte, c.lte)}`;
    case 'all':
      return c.of.length === 1 && c.of[0] ? phrase(c.of[0]) : `all of these hold: ${c.of.map((x) => `(${phrase(x)})`).join(' and ')}`;
    case 'any':
      return c.of.length === 1 && c.of[0] ? phrase(c.of[0]) : `any of these holds: ${c.of.map((x) => `(${phrase(x)})`).join(' or ')}`;
    case 'not':
      return negate(c.of);
  }
}

function negate(c: Condition): string {
  switch (c.type) {
    case 'person_in':
      return `no person is in zone ${c.zone}`;
    case 'hands_in':
      return `no hands are in zone ${c.zone}`;
    case 'object':
      return `no ${c.label} is seen ${where(c.zone)}`;
    case 'not':
      return phrase(c.of);
    case 'count':
      if (c.lte === undefined && c.gte !== undefined) return `fewer than ${c.gte} ${plural(c.of)} are ${where(c.zone)}`;
      if (c.gte === undefined && c.lte !== undefined) return `more than ${c.lte} ${plural(c.of)} are ${where(c.zone)}`;
      return `it is not the case that ${phrase(c)}`;
    case 'all':
    case 'any':
      return `it is not the case that ${phrase(c)}`;
  }
}

function bounds(gte: number | undefined, lte: number | undefined): string {
  if (gte !== undefined && lte !== undefined) return gte === lte ? `exactly ${gte}` : `between ${gte} and ${lte}`;
  if (gte !== undefined) return `at least ${gte}`;
  return `at most ${lte ?? 0}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function plural(label: string): string {
  if (label === 'person') return 'people';
  if (label === 'knife') return 'knives';
  if (/(s|x|ch|sh)$/.test(label)) return `${label}es`;
  return `${label}s`;
}
