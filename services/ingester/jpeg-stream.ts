// Splits a stream of concatenated JPEGs (ffmpeg `-f image2pipe -c:v mjpeg`) into whole images by walking
// the JPEG segments, so a 0xFFD9 inside a header can never cut a picture short; checks single JPEGs too.

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** True when the buffer looks like one whole JPEG: starts with SOI and ends with EOI. */
export function looksLikeJpeg(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0xff && buf[1] === SOI && buf[buf.length - 2] === 0xff && buf[buf.length - 1] === EOI;
}

/**
 * Where the JPEG starting at `start` ends (index after its EOI), or -1 when more bytes are needed.
 * Throws on bytes that are not a JPEG.
 */
function jpegEnd(buf: Buffer, start: number): number {
  let i = start + 2;
  for (;;) {
    if (i + 2 > buf.length) return -1;
    if (buf[i] !== 0xff) throw new Error(`not a JPEG segment at byte ${i - start}`);
    const marker = buf[i + 1] as number;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === EOI) return i + 2;
    if (marker >= 0xd0 && marker <= 0xd7) {
      i += 2;
      continue;
    }
    if (i + 4 > buf.length) return -1;
    const length = buf.readUInt16BE(i + 2);
    if (length < 2) throw new Error('bad JPEG segment length');
    i += 2 + length;
    if (marker !== SOS) continue;
    // Entropy-coded data: a marker is 0xFF followed by anything but 0x00 (stuffing) or a restart marker.
    for (;;) {
      if (i + 2 > buf.length) return -1;
      if (buf[i] === 0xff) {
        const next = buf[i + 1] as number;
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
      }
      i += 1;
    }
  }
}

export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** @param maxBytes a picture larger than this is refused (the stream is then not trusted any more). */
  constructor(private readonly maxBytes = 8 * 1024 * 1024) {}

  /** Feed bytes; returns the whole JPEGs they complete. Throws when the stream is not JPEGs. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      if (this.pending.length - start < 2) break;
      if (this.pending[start] !== 0xff || this.pending[start + 1] !== SOI) throw new Error('the stream does not start a JPEG where one should start');
      const end = jpegEnd(this.pending, start);
      if (end < 0) {
        if (this.pending.length - start > this.maxBytes) throw new Error(`a picture is larger than ${this.maxBytes} bytes`);
        break;
      }
      out.push(Buffer.from(this.pending.subarray(start, end)));
      start = end;
    }
    this.pending = start === 0 ? this.pending : Buffer.from(this.pending.subarray(start));
    return out;
  }

  /** Bytes of an unfinished picture. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}
