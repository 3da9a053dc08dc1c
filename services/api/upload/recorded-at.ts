// When an uploaded clip was recorded: the uploader's "recorded at" when given, else what the file says (recorder
// header, file name, container tag); local wall-clock times are read in the store's time zone.
import { parseRecordedAtInput, recordingTimeFromFile, type LocalTime, type RecordedAtSource } from '../../ingester/recording-time.ts';
import { safeZone, zonedToUtc } from '../../notify/local-time.ts';
import type { MultipartFile } from '@fastify/multipart';
import { badRequest } from '../http-errors.ts';
import type { ReceivedClip } from './clip-upload.ts';

export interface RecordedAt {
  recordedAt: Date;
  recordedAtSource: RecordedAtSource;
}

/** The instant a local wall-clock time happened in `tz`. */
export function localToInstant(t: LocalTime, tz: string): number {
  return zonedToUtc(safeZone(tz), t.year, t.month, t.day, t.hour, t.minute) + t.second * 1000;
}

/** The uploader's "recorded at" as an instant; 400 when it is not a time (checked before a resumable upload starts, too). */
export function formRecordedAt(formValue: string, tz: string, nowMs = Date.now()): Date {
  const parsed = parseRecordedAtInput(formValue);
  if (parsed === undefined) {
    throw badRequest(`recordedAt "${formValue.slice(0, 40)}" is not a time: give 2024-12-03T14:30 (the store's time zone, ${safeZone(tz)}) or an ISO time with its offset`);
  }
  const ms = 'local' in parsed ? localToInstant(parsed.local, tz) : parsed.instantMs;
  if (ms > nowMs + 86_400_000) throw badRequest('recordedAt is in the future');
  return new Date(ms);
}

/** Throws 400 for a "recorded at" that is not a time; undefined when neither the form nor the file says. */
export function recordedAtOf(received: ReceivedClip, formValue: string | undefined, tz: string, nowMs = Date.now()): RecordedAt | undefined {
  if (formValue !== undefined && formValue.trim() !== '') return { recordedAt: formRecordedAt(formValue, tz, nowMs), recordedAtSource: 'form' };
  const found = recordingTimeFromFile({
    fileName: received.filename, head: received.head, container: received.container, nowMs,
    ...(received.creationTime === undefined ? {} : { creationTime: received.creationTime }),
  });
  if (found === undefined) return undefined;
  const ms = found.local === undefined ? found.instantMs : localToInstant(found.local, tz);
  // A recorder with a wrong clock (a date in the future) is not believed.
  if (ms > nowMs + 86_400_000) return undefined;
  return { recordedAt: new Date(ms), recordedAtSource: found.source };
}

/** A text field sent before the file part (`recordedAt` in the upload form). */
export function formField(fields: MultipartFile['fields'], name: string): string | undefined {
  const f = fields[name];
  const one = Array.isArray(f) ? f[0] : f;
  return one !== undefined && one.type === 'field' && typeof one.value === 'string' ? one.value : undefined;
}
