// When a clip was recorded, from what the recorder left in the file: its own header (Dahua DAV), a timestamp in the
// file name (the usual NVR/DVR and phone patterns), or the container's creation_time tag.

/** A wall-clock time with no zone: recorders write local time; the store's zone makes it an instant. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export type RecordedAtSource = 'recorder_header' | 'file_name' | 'container' | 'form' | 'cli';

/** Either a local wall-clock time (to be read in the store's zone) or an instant (epoch ms, already absolute). */
export type RecordingTime =
  | { source: RecordedAtSource; local: LocalTime; instantMs?: undefined }
  | { source: RecordedAtSource; instantMs: number; local?: undefined };

function valid(t: LocalTime): LocalTime | undefined {
  const { year, month, day, hour, minute, second } = t;
  if (year < 2000 || year > 2099 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= daysInMonth ? t : undefined;
}

const n = (s: string | undefined): number => Number(s);

/**
 * File-name patterns, tried in order; each match must be a real date. Digits glued to other digits never match
 * (a 20-digit serial number is no date), and the first valid timestamp in the name is the start.
 */
const NAME_PATTERNS: RegExp[] = [
  // 2024-12-03_14-30-00, 2024-12-03 14.30.00, 2024-12-03T14:30:00, 2024.12.03-14.30.00 (Dahua), 2024_12_03_14_30_00
  /(?<!\d)(20\d\d)[-_.](\d\d)[-_.](\d\d)[-_. T]{1,2}(\d\d)[-_.:h](\d\d)[-_.:m](\d\d)(?!\d)/,
  // 20241203_143000, 20241203-143000, VID_20241203_143000, PXL_20241203_143000123 (ms after the seconds)
  /(?<!\d)(20\d\d)(\d\d)(\d\d)[-_T ](\d\d)(\d\d)(\d\d)(?:\d{3})?(?!\d)/,
  // ch01_20241203143000, NVR_ch1_main_20241203143000_20241203150000, Hikvision 20241203143000123 (with ms)
  /(?<!\d)(20\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\d{3})?(?!\d)/,
];

/** The recording start written in a file name, or undefined. */
export function timeFromFileName(name: string): LocalTime | undefined {
  const base = name.split(/[/\\]/).pop() ?? name;
  for (const pattern of NAME_PATTERNS) {
    const global = new RegExp(pattern.source, 'g');
    for (const m of base.matchAll(global)) {
      const t = valid({ year: n(m[1]), month: n(m[2]), day: n(m[3]), hour: n(m[4]), minute: n(m[5]), second: n(m[6]) });
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** Dahua DHAV frame date: seconds, minutes, hours, day, month, year-2000 in a 32-bit little-endian word at byte 16. */
export function timeFromDavHeader(head: Buffer): LocalTime | undefined {
  const at = head.indexOf('DHAV', 0, 'latin1');
  if (at < 0 || head.length < at + 20) return undefined;
  const d = head.readUInt32LE(at + 16);
  return valid({
    second: d & 0x3f, minute: (d >>> 6) & 0x3f, hour: (d >>> 12) & 0x1f, day: (d >>> 17) & 0x1f, month: (d >>> 22) & 0x0f, year: ((d >>> 26) & 0x3f) + 2000,
  });
}

/**
 * The container's creation_time, when it is plausible: encoders write 1970 or 1904 when they know nothing, and a
 * time in the future is a wrong clock. With no zone in the text (rare) it is taken as UTC, as the MP4 format defines.
 */
export function timeFromCreationTag(tag: string | undefined, nowMs: number): number | undefined {
  if (tag === undefined || tag.trim() === '') return undefined;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(tag.trim()) ? tag.trim() : `${tag.trim().replace(' ', 'T')}Z`;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < Date.UTC(2000, 0, 1) || ms > nowMs + 86_400_000) return undefined;
  return ms;
}

export interface RecordingTimeInput {
  /** The name the recorder gave the file (the upload's name, or the path's base name). */
  fileName: string;
  /** The file's first bytes (for a recorder header). */
  head?: Buffer;
  container?: string;
  creationTime?: string;
  nowMs: number;
}

/**
 * The best recording start the file offers: the recorder's own header, then a timestamp in the name (what the
 * recorder wrote at export), then the container tag (which a re-encode overwrites with its own time).
 */
export function recordingTimeFromFile(input: RecordingTimeInput): RecordingTime | undefined {
  if (input.container === 'dav' && input.head !== undefined) {
    const header = timeFromDavHeader(input.head);
    if (header !== undefined) return { source: 'recorder_header', local: header };
  }
  const named = timeFromFileName(input.fileName);
  if (named !== undefined) return { source: 'file_name', local: named };
  const tagged = timeFromCreationTag(input.creationTime, input.nowMs);
  if (tagged !== undefined) return { source: 'container', instantMs: tagged };
  return undefined;
}

/** `2024-12-03T14:30` or `2024-12-03T14:30:05` as typed in a form (local), or an ISO instant with a zone. */
export function parseRecordedAtInput(text: string): { local: LocalTime } | { instantMs: number } | undefined {
  const t = text.trim();
  const local = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/.exec(t);
  if (local !== null) {
    const parts = valid({ year: n(local[1]), month: n(local[2]), day: n(local[3]), hour: n(local[4]), minute: n(local[5]), second: n(local[6] ?? '0') });
    return parts === undefined ? undefined : { local: parts };
  }
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([zZ]|[+-]\d\d:\d\d)$/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) || ms < Date.UTC(2000, 0, 1) ? undefined : { instantMs: ms };
}
