// The RFC 5322 text of a notification e-mail: UTF-8 plain text, encoded headers, a Message-ID derived from the dedupe key.
import type { RenderedMessage } from './message.ts';
import { toPlainText } from './message.ts';

/** RFC 2047 encoded-word for a header holding any text: no raw line break or non-ASCII byte can reach the header. */
export function encodeHeader(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  // Encoded words are at most 75 characters: split the text into runs of whole characters.
  const words: string[] = [];
  let run = '';
  for (const ch of clean) {
    if (Buffer.byteLength(run + ch) > 42) {
      words.push(run);
      run = '';
    }
    run += ch;
  }
  if (run !== '') words.push(run);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

const pad = (n: number): string => String(n).padStart(2, '0');
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Tue, 02 Jan 2024 09:05:00 +0000`. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

export interface EmailInput {
  from: string;
  to: readonly string[];
  rendered: RenderedMessage;
  /** Opaque and stable per outbox row: the same message sent twice carries the same Message-ID. */
  idempotencyKey: string;
  nowMs: number;
}

export function buildEmail(input: EmailInput): string {
  const body = Buffer.from(toPlainText(input.rendered)).toString('base64').replace(/.{1,76}/g, '$&\r\n');
  const headers = [
    `From: ${input.from}`,
    `To: ${input.to.join(', ')}`,
    `Subject: ${encodeHeader(input.rendered.title)}`,
    `Date: ${rfc5322Date(input.nowMs)}`,
    `Message-ID: <${input.idempotencyKey}@sopwatch.invalid>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    'Auto-Submitted: auto-generated',
    `X-Sopwatch-Idempotency-Key: ${input.idempotencyKey}`,
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}
