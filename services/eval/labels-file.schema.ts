// The YAML shape of a labels file (`LabelsFile`), written once in TypeBox: the TS type and the JSON Schema.
import { Type, type Static } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

export const VIOLATION_KINDS = ['too_short', 'too_long', 'forbidden', 'gap', 'missing_step', 'out_of_order', 'timeout', 'verify_failed'] as const;

const Seconds = (description: string) => Type.Number({ minimum: 0, description: `${description} In seconds from the clip's first frame.` });

export const LabelItem = Type.Object({
  rule: Type.String({ minLength: 1, description: 'The id of a rule of the SOP file.' }),
  kind: Type.Unsafe<(typeof VIOLATION_KINDS)[number]>({ type: 'string', enum: [...VIOLATION_KINDS], description: 'The violation kind the rule raises (too_short, gap, forbidden, ...).' }),
  start: Seconds('Where the violation begins.'),
  end: Seconds('Where the violation ends.'),
  may: Type.Optional(Type.Boolean({ description: 'A case the labeller could not call: counted neither as a miss nor as an extra.' })),
  note: Type.Optional(Type.String({ description: 'What the labeller saw (free text).' })),
}, { ...strict, description: 'One violation a person saw.' });

export const LabelsFile = Type.Object({
  clip: Type.String({ minLength: 1, description: 'The clip: a path relative to this file, or else to the media root (SOPWATCH_MEDIA, default ../shared/media).' }),
  sop: Type.String({ minLength: 1, description: 'The SOP file the labels are about, relative to this file.' }),
  camera: Type.Optional(Type.String({ minLength: 1, description: 'Which camera\'s zones apply (when the SOP has zones for several).' })),
  fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 30, description: 'Frames analysed per second (default 5).' })),
  credit: Type.Optional(Type.String({ description: 'Where the footage comes from and its licence.' })),
  violations: Type.Array(LabelItem, { description: 'Every violation a person saw in the clip; an empty list says the clip is clean.' }),
}, { ...strict, description: 'The violations a person saw in one clip, for `sopwatch eval`.' });

export type LabelsFile = Static<typeof LabelsFile>;
export type LabelItem = Static<typeof LabelItem>;
