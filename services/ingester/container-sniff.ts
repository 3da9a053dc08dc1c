// Which container a clip is, from its first bytes only (never its name): the accepted formats, their demuxers and the refusals.

/** Short names, also used as the stored file's extension. */
export type Container = 'mp4' | 'mov' | 'mkv' | 'webm' | 'gif' | 'avi' | 'ts' | 'ps' | 'dav' | 'h264' | 'h265' | 'flv';
/** ffmpeg demuxer names: each is forced when decoding, so that no probing can pick another one. */
export type Demuxer = 'mov' | 'matroska' | 'gif' | 'avi' | 'mpegts' | 'mpeg' | 'dhav' | 'h264' | 'hevc' | 'flv';

export interface Sniffed {
  container: Container;
  demuxer: Demuxer;
  /** Bytes before the stream the demuxer reads (a recorder's own header, e.g. Hikvision's 40-byte `IMKH`). */
  skipBytes?: number;
  /** What a person calls it: "MPEG-PS (Hikvision IMKH header)". */
  label: string;
}

/** Bytes a sniff needs: enough for three 188-byte MPEG-TS packets (and the 192-byte M2TS variant). */
export const SNIFF_BYTES = 600;

/** The formats accepted, as a sentence for error messages and `sopwatch doctor`. */
export const ACCEPTED_FORMATS: ReadonlyArray<{ label: string; demuxer: Demuxer }> = [
  { label: 'MP4', demuxer: 'mov' },
  { label: 'MOV', demuxer: 'mov' },
  { label: 'MKV', demuxer: 'matroska' },
  { label: 'WebM', demuxer: 'matroska' },
  { label: 'GIF', demuxer: 'gif' },
  { label: 'AVI', demuxer: 'avi' },
  { label: 'MPEG-TS', demuxer: 'mpegts' },
  { label: 'MPEG-PS (also behind a Hikvision IMKH header)', demuxer: 'mpeg' },
  { label: 'Dahua DAV', demuxer: 'dhav' },
  { label: 'raw H.264', demuxer: 'h264' },
  { label: 'raw H.265', demuxer: 'hevc' },
  { label: 'FLV', demuxer: 'flv' },
];

export const ACCEPTED_LIST = 'mp4, mov, mkv, webm, gif, avi, mpeg-ts, mpeg-ps (incl. Hikvision IMKH), dahua dav, raw h264/h265, flv';

/** The only demuxers ffmpeg may use. The names are matched against each demuxer's name list. */
export const DEMUXER_WHITELIST = 'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,gif,avi,mpegts,mpeg,dhav,h264,hevc,flv';

const MOV_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);
const HIKVISION_HEADER_BYTES = 40;

/** A sniff that names a known format this reader cannot decode: the reason is told, not "not a video". */
export interface Refused {
  refused: string;
}

function isPsPack(head: Buffer, at: number): boolean {
  return head.length >= at + 4 && head[at] === 0 && head[at + 1] === 0 && head[at + 2] === 1 && head[at + 3] === 0xba;
}

function tsSyncEvery(head: Buffer, first: number, step: number): boolean {
  let seen = 0;
  for (let at = first; at < head.length; at += step) {
    if (head[at] !== 0x47) return false;
    seen += 1;
  }
  return seen >= Math.min(3, Math.ceil((head.length - first) / step));
}

/** The first NAL unit's header byte(s) after an Annex B start code at 0, or undefined. */
function firstNal(head: Buffer): { b0: number; b1: number } | undefined {
  let at: number;
  if (head.length >= 6 && head[0] === 0 && head[1] === 0 && head[2] === 0 && head[3] === 1) at = 4;
  else if (head.length >= 5 && head[0] === 0 && head[1] === 0 && head[2] === 1) at = 3;
  else return undefined;
  return { b0: head[at] ?? 0, b1: head[at + 1] ?? 0 };
}

function elementary(head: Buffer): Sniffed | undefined {
  const nal = firstNal(head);
  if (nal === undefined) return undefined;
  // H.265: two-byte header, forbidden bit 0, layer 0 and temporal id 1; a stream opens with VPS/SPS/PPS/AUD/SEI.
  const hevcType = (nal.b0 >> 1) & 0x3f;
  if ((nal.b0 & 0x81) === 0 && nal.b1 === 0x01 && [32, 33, 34, 35, 39].includes(hevcType)) {
    return { container: 'h265', demuxer: 'hevc', label: 'raw H.265' };
  }
  // H.264: forbidden bit 0; a stream opens with SPS, AUD or SEI.
  const avcType = nal.b0 & 0x1f;
  if ((nal.b0 & 0x80) === 0 && [7, 9, 6].includes(avcType)) return { container: 'h264', demuxer: 'h264', label: 'raw H.264' };
  return undefined;
}

/** Container of a file from its first bytes (`SNIFF_BYTES` of them when the file is that long), or undefined when none this reader accepts. */
export function sniffContainer(head: Buffer): Sniffed | undefined {
  const found = sniffOrRefuse(head);
  return found !== undefined && 'container' in found ? found : undefined;
}

/** Like `sniffContainer`, but a recorder format known to be undecodable here says why. */
export function sniffOrRefuse(head: Buffer): Sniffed | Refused | undefined {
  const ascii = head.toString('latin1');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return { container: 'gif', demuxer: 'gif', label: 'GIF' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    return ascii.includes('webm') ? { container: 'webm', demuxer: 'matroska', label: 'WebM' } : { container: 'mkv', demuxer: 'matroska', label: 'MKV' };
  }
  if (head.length >= 8 && MOV_FIRST_BOXES.has(ascii.slice(4, 8))) {
    const quickTime = ascii.slice(4, 8) !== 'ftyp' || ascii.slice(8, 12) === 'qt  ';
    return quickTime ? { container: 'mov', demuxer: 'mov', label: 'MOV' } : { container: 'mp4', demuxer: 'mov', label: 'MP4' };
  }
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'AVI ') return { container: 'avi', demuxer: 'avi', label: 'AVI' };
  if (ascii.startsWith('FLV\x01')) return { container: 'flv', demuxer: 'flv', label: 'FLV' };
  // Dahua: frames start "DHAV" + a frame type (video I/P, audio, aux); some exports open with a 1 KiB "DAHUA" block.
  if (ascii.startsWith('DAHUA') || (ascii.startsWith('DHAV') && [0xf0, 0xf1, 0xfc, 0xfd].includes(head[4] ?? 0))) {
    return { container: 'dav', demuxer: 'dhav', label: 'Dahua DAV' };
  }
  // Hikvision: a 40-byte media header ("IMKH" = converted for players, "4HKH" = the recorder's own stream) before the stream.
  if (ascii.startsWith('IMKH')) {
    if (isPsPack(head, HIKVISION_HEADER_BYTES)) {
      return { container: 'ps', demuxer: 'mpeg', skipBytes: HIKVISION_HEADER_BYTES, label: 'MPEG-PS (Hikvision IMKH header)' };
    }
    if (head[HIKVISION_HEADER_BYTES] === 0x47) {
      return { container: 'ts', demuxer: 'mpegts', skipBytes: HIKVISION_HEADER_BYTES, label: 'MPEG-TS (Hikvision IMKH header)' };
    }
    return { refused: 'a Hikvision file whose stream after the 40-byte IMKH header is neither MPEG-PS nor MPEG-TS (export it as "PS" or "MP4" from the recorder)' };
  }
  if (ascii.startsWith('4HKH') || ascii.startsWith('HKH4')) {
    return { refused: 'a Hikvision private-format stream (4HKH): only its PS or MP4 exports are read (export it again as "PS" or "MP4" from the recorder)' };
  }
  if (isPsPack(head, 0)) return { container: 'ps', demuxer: 'mpeg', label: 'MPEG-PS' };
  if (head.length >= 188 * 2 + 1 && tsSyncEvery(head, 0, 188)) return { container: 'ts', demuxer: 'mpegts', label: 'MPEG-TS' };
  if (head.length >= 192 * 2 + 5 && tsSyncEvery(head, 4, 192)) return { container: 'ts', demuxer: 'mpegts', label: 'MPEG-TS (M2TS)' };
  return elementary(head);
}
