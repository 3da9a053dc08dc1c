// Schemas of the dashboard's own API routes (services/api/routes/dashboard-*.routes.ts): TypeBox only, so the browser code can import the types.
import { Type, type Static } from '@sinclair/typebox';
import { SopUpload } from '../services/api/schemas/sop-file.ts';

export const RuleLane = Type.Object({
  sop: Type.String(),
  sopTitle: Type.String(),
  sopVersion: Type.Integer({ description: 'Stored version; 0 for a draft' }),
  rule: Type.String(),
  title: Type.String(),
  titleZh: Type.Union([Type.String(), Type.Null()], { description: '`title_zh` of the rule, when given' }),
  kind: Type.String({ description: 'duration, forbidden, required or sequence' }),
  severity: Type.String(),
  shadow: Type.Boolean({ description: 'Violations are recorded for review, never alerted' }),
  enabled: Type.Boolean(),
  steps: Type.Array(Type.String(), { description: 'Step ids of a sequence rule, in order' }),
}, { description: 'One rule of an SOP file: a lane of the timeline' });
export type RuleLane = Static<typeof RuleLane>;

export const ClipSummary = Type.Object({
  clipId: Type.String(),
  durationS: Type.Union([Type.Number(), Type.Null()], { description: 'null when the video file is gone or unreadable' }),
  width: Type.Union([Type.Integer(), Type.Null()]),
  height: Type.Union([Type.Integer(), Type.Null()]),
  rules: Type.Array(RuleLane, { description: 'Rules of the SOP files enabled for the clip\'s camera' }),
});
export type ClipSummary = Static<typeof ClipSummary>;

const Polygon = Type.Array(Type.Tuple([Type.Number(), Type.Number()]));

export const SopExplained = Type.Object({
  sopId: Type.String(),
  title: Type.String(),
  version: Type.Union([Type.Integer(), Type.Null()], { description: 'Stored version; null for a draft' }),
  explanation: Type.String({ description: 'Plain English, one line per fact (services/rules/sop-explain.ts)' }),
  explanationZh: Type.String({ description: 'The same in Simplified Chinese, line for line (services/rules/sop-explain-zh.ts)' }),
  titleZh: Type.Union([Type.String(), Type.Null()], { description: '`title_zh` of the file, when given' }),
  cameras: Type.Array(Type.String()),
  zones: Type.Record(Type.String(), Type.Record(Type.String(), Polygon), { description: 'Camera name (or *) -> zone -> polygon' }),
  rules: Type.Array(RuleLane),
});
export type SopExplained = Static<typeof SopExplained>;

export const DryRunBody = Type.Object({
  yaml: SopUpload.properties.yaml,
  fileName: SopUpload.properties.fileName,
  clipId: Type.String({ minLength: 1, maxLength: 200, description: 'A clip of this store, filmed by a camera the file names' }),
}, { additionalProperties: false });
export type DryRunBody = Static<typeof DryRunBody>;

const Span = { sop: Type.String(), rule: Type.String(), step: Type.Optional(Type.String()), start: Type.Number(), end: Type.Number() };

const AlertRef = Type.Object({ id: Type.String(), rule: Type.String(), kind: Type.String(), start: Type.Number(), end: Type.Number() });
/** The draft against the alerts already stored for the clip (same SOP id) and their decisions (services/eval/compare.ts). */
export const DryRunChanges = Type.Object({
  toleranceS: Type.Number(),
  matchRule: Type.String(),
  confirmedKept: Type.Integer({ description: 'Confirmed alerts the draft would still raise' }),
  confirmedGone: Type.Array(AlertRef, { description: 'Confirmed alerts the draft would no longer raise (true alerts lost)' }),
  dismissedKept: Type.Integer({ description: 'Dismissed alerts the draft would still raise (false alarms kept)' }),
  dismissedGone: Type.Array(AlertRef, { description: 'Dismissed alerts the draft would no longer raise (false alarms removed)' }),
  undecidedKept: Type.Integer(),
  undecidedGone: Type.Integer(),
  added: Type.Array(Type.Object({ rule: Type.String(), kind: Type.String(), start: Type.Number(), end: Type.Number() }), { description: 'Alerts the draft would raise that match no stored one' }),
}, { description: 'What would change against past decisions on this clip' });
export type DryRunChanges = Static<typeof DryRunChanges>;

export const DryRun = Type.Object({
  clipId: Type.String(),
  durationS: Type.Number(),
  frames: Type.Integer(),
  complete: Type.Boolean(),
  violations: Type.Array(Type.Object({
    ...Span, kind: Type.String(), severity: Type.String(), message: Type.String(), decidedBy: Type.String(), shadow: Type.Optional(Type.Boolean()),
  })),
  needsReview: Type.Array(Type.Object({ ...Span, reason: Type.String(), question: Type.Optional(Type.String()) })),
  runs: Type.Array(Type.Object({
    sop: Type.String(), rule: Type.String(), start: Type.Number(), end: Type.Number(), outcome: Type.String(),
    steps: Type.Array(Type.Object({ step: Type.String(), start: Type.Number(), done: Type.Number() })),
  })),
  rules: Type.Array(RuleLane),
  changes: DryRunChanges,
  stats: Type.Optional(Type.Object({
    wallMs: Type.Integer({ description: 'Time the run took on the server' }),
    detectorCalls: Type.Integer({ description: 'Frames the detector looked at' }),
    cachedDetections: Type.Integer({ description: 'Frames answered from what earlier runs on this clip detected' }),
  })),
}, { description: 'What the draft would find on the clip; nothing is stored and no evidence is written' });
export type DryRun = Static<typeof DryRun>;
