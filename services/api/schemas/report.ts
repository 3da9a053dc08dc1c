// The compliance report: violations per local day, store, SOP and rule, with how people decided them.
import { Type, type Static } from '@sinclair/typebox';
import { Day, StoreFilter } from './common.ts';

export const ReportQuery = Type.Object({
  ...StoreFilter,
  from: Type.Optional(Day),
  to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Last day included, YYYY-MM-DD' })),
}, { additionalProperties: false, description: 'Default: the last 7 days' });
export type ReportQuery = Static<typeof ReportQuery>;

export const ComplianceRow = Type.Object({
  day: Type.String(),
  storeId: Type.String(),
  storeName: Type.String(),
  sopId: Type.String(),
  rule: Type.String(),
  ruleTitle: Type.Union([Type.String(), Type.Null()], { description: 'The rule\'s title in the newest version of its SOP file' }),
  ruleTitleZh: Type.Union([Type.String(), Type.Null()], { description: '`title_zh` of the rule, when given' }),
  violations: Type.Integer(),
  open: Type.Integer(),
  needsReview: Type.Integer(),
  confirmed: Type.Integer(),
  dismissed: Type.Integer(),
  high: Type.Integer(),
});

export const NotMonitoredRow = Type.Object({
  day: Type.String(),
  storeId: Type.String(),
  storeName: Type.String(),
  cameraId: Type.String(),
  cameraName: Type.Union([Type.String(), Type.Null()], { description: 'Null when the camera was deleted since' }),
  seconds: Type.Integer({ description: 'Time the live camera was not watched (offline, handed over, sopwatch stopped) that local day' }),
}, { description: 'Not monitored: nothing was seen, so nothing in this time counts as compliant' });

export const ComplianceReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  rows: Type.Array(ComplianceRow),
  notMonitored: Type.Array(NotMonitoredRow, { description: 'Per store, live camera and local day: time not monitored' }),
});
