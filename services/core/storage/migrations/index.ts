// Every schema migration, in order. Add a file `NNNN-name.ts` and append it here; never edit a released one.
import { initial } from './0001-initial.ts';
import { accountsApi } from './0002-accounts-api.ts';
import { notifyRetention } from './0003-notify-retention.ts';
import { cameraLive } from './0004-camera-live.ts';
import { cameraSecrets } from './0005-camera-secrets.ts';
import { shadowMode } from './0006-shadow-mode.ts';
import { clipRecordingTime } from './0007-clip-recording-time.ts';
import { reviewUndo } from './0008-review-undo.ts';
import { violationSubjects } from './0009-violation-subjects.ts';
import { clipLabels } from './0010-clip-labels.ts';
import { storeVideo } from './0013-store-video.ts';
import { messageParts } from './0014-message-parts.ts';
import { storeClipExport } from './0015-store-clip-export.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

export const migrations: readonly Migration[] = [initial, accountsApi, notifyRetention, cameraLive, cameraSecrets, shadowMode, clipRecordingTime, reviewUndo, violationSubjects, clipLabels, storeVideo, messageParts, storeClipExport];
