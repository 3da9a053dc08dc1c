// Privacy entry: retention by store (the RetentionSweep job), export of a store's data, deletion on request.
export { createRetentionSweepHandler, sweepRetention, DAY_MS, type RetentionDeps, type StoreSweep, type SweepResult } from './retention.ts';
export { retentionJobId, startRetentionSchedule, type RetentionSchedule } from './retention-schedule.ts';
export { exportStore, type ExportDeps, type ExportManifest, type ExportRequest, type ExportedFile } from './export.ts';
export { deleteStoreData, type DeletionDeps, type DeletionReport, type DeletionRequest } from './deletion.ts';
export { ExportTargetExistsError, StoreBusyError } from './privacy-errors.ts';
