// Container sniffing from first bytes, and reading ffmpeg's own input description when ffprobe cannot run.
import { describe, expect, it } from 'vitest';
import { safeInputArgs, sniffContainer, sniffOrRefuse } from '../../services/ingester/probe.ts';
import { parseFfmpegInput } from '../../services/ingester/probe-ffmpeg.ts';

function ts(first: number, step: number, packets: number): Buffer {
  const b = Buffer.alloc(first + step * packets, 0xff);
  for (let i = 0; i < packets; i += 1) b[first + i * step] = 0x47;
  return b;
}

describe('sniffContainer', () => {
  const cases: Array<[string, Buffer, string | undefined, string | undefined]> = [
    ['AVI', Buffer.from('RIFF\x10\x00\x00\x00AVI LIST', 'latin1'), 'avi', 'avi'],
    ['WAV is not AVI', Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'), undefined, undefined],
    ['FLV', Buffer.from('FLV\x01\x05\x00\x00\x00\x09', 'latin1'), 'flv', 'flv'],
    ['MPEG-TS', ts(0, 188, 3), 'ts', 'mpegts'],
    ['M2TS (192-byte packets)', ts(4, 192, 3), 'ts', 'mpegts'],
    ['0x47 once is not TS', Buffer.concat([Buffer.from([0x47]), Buffer.alloc(599, 1)]), undefined, undefined],
    ['MPEG-PS', Buffer.from([0, 0, 1, 0xba, 0x44, 0, 4, 0]), 'ps', 'mpeg'],
    ['DAV', Buffer.from('DHAV\xfd\x00\x00\x00', 'latin1'), 'dav', 'dhav'],
    ['DAV with a DAHUA block', Buffer.from('DAHUA\x00\x00\x00', 'latin1'), 'dav', 'dhav'],
    ['DHAV with no frame type', Buffer.from('DHAV\x00\x00\x00\x00', 'latin1'), undefined, undefined],
    ['raw H.264 (SPS)', Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d]), 'h264', 'h264'],
    ['raw H.264 (AUD, 3-byte start code)', Buffer.from([0, 0, 1, 0x09, 0xf0, 0, 0]), 'h264', 'h264'],
    ['raw H.265 (VPS)', Buffer.from([0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01]), 'h265', 'hevc'],
    ['an MPEG-1 video start code is not H.264', Buffer.from([0, 0, 1, 0xb3, 0x14, 0, 0xf0]), undefined, undefined],
    ['HLS playlist', Buffer.from('#EXTM3U\n#EXTINF:1,\na.ts\n'), undefined, undefined],
    ['ffconcat', Buffer.from('ffconcat version 1.0\nfile a.mp4\n'), undefined, undefined],
    ['mp4 still', Buffer.from('\x00\x00\x00\x18ftypisom', 'latin1'), 'mp4', 'mov'],
  ];
  it.each(cases)('%s', (_name, head, container, demuxer) => {
    const s = sniffContainer(head);
    expect(s?.container).toBe(container);
    expect(s?.demuxer).toBe(demuxer);
  });

  it('Hikvision IMKH + PS: skip the 40-byte header, force mpeg', () => {
    const head = Buffer.concat([Buffer.from('IMKH'), Buffer.alloc(36), Buffer.from([0, 0, 1, 0xba])]);
    const s = sniffContainer(head);
    expect(s).toMatchObject({ container: 'ps', demuxer: 'mpeg', skipBytes: 40 });
    expect(safeInputArgs(s)).toEqual(['-protocol_whitelist', 'file', '-format_whitelist', expect.stringContaining('dhav') as string, '-skip_initial_bytes', '40', '-f', 'mpeg']);
  });

  it('a Hikvision private stream is refused with the reason', () => {
    expect(sniffOrRefuse(Buffer.from('4HKH\x00\x00', 'latin1'))).toMatchObject({ refused: expect.stringMatching(/4HKH/) as string });
  });
});

describe('parseFfmpegInput', () => {
  it('reads duration, size, rate, codec, creation time and rotation', () => {
    const text = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x.mp4':",
      '  Metadata:',
      '    creation_time   : 2024-12-03T14:30:00.000000Z',
      '  Duration: 00:01:02.50, start: 0.000000, bitrate: 297 kb/s',
      '    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 287 kb/s, 12.5 fps, 25 tbr, 12800 tbn (default)',
      '    Metadata:',
      '      rotate          : 90',
      '    Stream #0:1(und): Audio: aac',
      'At least one output file must be specified',
    ].join('\n');
    expect(parseFfmpegInput(text)).toEqual({
      format: { duration: '62.5', tags: { creation_time: '2024-12-03T14:30:00.000000Z' } },
      streams: [{ codec_name: 'h264', width: 1280, height: 720, avg_frame_rate: '12.5', side_data_list: [{ rotation: 90 }] }],
    });
  });

  it('no video stream: no streams', () => {
    expect(parseFfmpegInput("Input #0, mpegts, from 'a.ts':\n  Duration: N/A\n    Stream #0:0: Audio: mp2\n").streams).toEqual([]);
  });
});
