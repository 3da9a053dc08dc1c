// Recording start from recorder file names, the Dahua header, the container tag and the upload form's field.
import { describe, expect, it } from 'vitest';
import { parseRecordedAtInput, recordingTimeFromFile, timeFromCreationTag, timeFromDavHeader, timeFromFileName } from '../../services/ingester/recording-time.ts';
import { davDate } from '../fixtures/recorder-files.ts';

const T = { year: 2024, month: 12, day: 3, hour: 14, minute: 30, second: 0 };
const NOW = Date.UTC(2025, 0, 1);

describe('timeFromFileName', () => {
  it.each([
    '20241203_143000.mp4',
    '20241203-143000.avi',
    '2024-12-03_14-30-00.mp4',
    '2024-12-03 14.30.00.mkv',
    '2024-12-03T14:30:00.mp4',
    '2024_12_03_14_30_00.ts',
    'ch01_20241203143000.mp4',
    'ch01_20241203143000_20241203150000.mp4',
    '192.168.1.64_01_20241203143000123.mp4',
    'NVR_ch1_main_20241203143000_20241203150000.dav',
    '2024-12-03.14.30.00-2024-12-03.15.00.00[M][0@0][0].dav',
    'VID_20241203_143000.mp4',
    'PXL_20241203_143000123.mp4',
    'Kitchen cam 2024-12-03 14-30-00 export.mp4',
  ])('%s', (name) => {
    expect(timeFromFileName(name)).toEqual(T);
  });

  it.each([
    'hiv00001.mp4',
    'shift.mp4',
    '20241303_143000.mp4',
    '20240231_120000.mp4',
    '20241203_253000.mp4',
    '120241203143000999.mp4',
    'serial_99920241203143000.mp4',
    '1999-12-03_14-30-00.mp4',
  ])('no time in %s', (name) => {
    expect(timeFromFileName(name)).toBeUndefined();
  });

  it('the first valid timestamp is the start', () => {
    expect(timeFromFileName('20241203_143000_to_20241203_150000.mp4')).toEqual(T);
  });
});

describe('recorder header and container tag', () => {
  it('reads the DAV frame date', () => {
    const head = Buffer.alloc(64);
    head.write('DHAV', 0, 'latin1');
    head[4] = 0xfd;
    head.writeUInt32LE(davDate({ ...T, second: 7 }), 16);
    expect(timeFromDavHeader(head)).toEqual({ ...T, second: 7 });
  });

  it('takes a plausible creation_time, refuses 1970, 1904 and the future', () => {
    expect(timeFromCreationTag('2024-12-03T14:30:00.000000Z', NOW)).toBe(Date.UTC(2024, 11, 3, 14, 30));
    expect(timeFromCreationTag('2024-12-03 14:30:00', NOW)).toBe(Date.UTC(2024, 11, 3, 14, 30));
    expect(timeFromCreationTag('1970-01-01T00:00:00.000000Z', NOW)).toBeUndefined();
    expect(timeFromCreationTag('1904-01-01T00:00:00Z', NOW)).toBeUndefined();
    expect(timeFromCreationTag('2031-01-01T00:00:00Z', NOW)).toBeUndefined();
    expect(timeFromCreationTag('garbage', NOW)).toBeUndefined();
  });

  it('prefers the recorder header, then the name, then the tag', () => {
    const head = Buffer.alloc(32);
    head.write('DHAV', 0, 'latin1');
    head.writeUInt32LE(davDate({ ...T, hour: 9 }), 16);
    const tag = '2024-12-05T10:00:00Z';
    expect(recordingTimeFromFile({ fileName: '20241203_143000.dav', head, container: 'dav', creationTime: tag, nowMs: NOW })).toEqual({ source: 'recorder_header', local: { ...T, hour: 9 } });
    expect(recordingTimeFromFile({ fileName: '20241203_143000.mp4', container: 'mp4', creationTime: tag, nowMs: NOW })).toEqual({ source: 'file_name', local: T });
    expect(recordingTimeFromFile({ fileName: 'shift.mp4', container: 'mp4', creationTime: tag, nowMs: NOW })).toEqual({ source: 'container', instantMs: Date.parse(tag) });
    expect(recordingTimeFromFile({ fileName: 'shift.mp4', container: 'mp4', nowMs: NOW })).toBeUndefined();
  });
});

describe('parseRecordedAtInput', () => {
  it('reads a form\'s local time and an ISO instant', () => {
    expect(parseRecordedAtInput('2024-12-03T14:30')).toEqual({ local: T });
    expect(parseRecordedAtInput('2024-12-03 14:30:05')).toEqual({ local: { ...T, second: 5 } });
    expect(parseRecordedAtInput('2024-12-03T14:30:00+08:00')).toEqual({ instantMs: Date.UTC(2024, 11, 3, 6, 30) });
  });
  it.each(['yesterday', '2024-13-03T14:30', '2024-12-03', '2024-12-03T14:30:00+25:00x', '1999-01-01T00:00Z'])('refuses %s', (text) => {
    expect(parseRecordedAtInput(text)).toBeUndefined();
  });
});
