// The pieces of main-stream evidence that need no camera: which profile is the main stream, ffmpeg's segment list read,
// and the sweep of recordings a crashed process left.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSegmentList, recordArgs } from '../../services/ingester/main-stream-recorder.ts';
import { pickLowResProfile, pickMainProfile } from '../../services/ingester/onvif.repository.ts';
import { sweepDead } from '../../services/live/main-evidence.ts';

describe('main-stream profile', () => {
  it('is the widest video profile, never a JPEG one, and differs from the detection profile when a larger one exists', () => {
    const profiles = [
      { token: 'sub', name: 'sub', encoding: 'H264', width: 640, height: 360 },
      { token: 'mjpeg', name: 'mjpeg', encoding: 'JPEG', width: 3840, height: 2160 },
      { token: 'main', name: 'main', encoding: 'H265', width: 2560, height: 1440 },
      { token: 'tiny', name: 'tiny', encoding: 'H264', width: 320, height: 180 },
    ];
    expect(pickMainProfile(profiles)?.token).toBe('main');
    expect(pickLowResProfile(profiles, 640)?.token).toBe('sub');
    expect(pickMainProfile([{ token: 'x', name: 'x' }])).toBeUndefined();
  });
});

describe('segment list', () => {
  it('reads wall-clock segments, skips the first one of a run (stamped 0) and junk, and keeps where the open one starts', () => {
    const text = [
      'r1-000000.ts,0.000000,1796446864.459256',
      'r1-000001.ts,1796446864.455056,1796446865.495211',
      '../etc/passwd,1,2',
      'r1-000002.ts,1796446865.486256,1796446866.459033',
      'garbage',
      '',
    ].join('\n');
    const list = parseSegmentList(text);
    expect(list.segments.map((s) => s.file)).toEqual(['r1-000001.ts', 'r1-000002.ts']);
    expect(list.segments[0]?.startMs).toBeCloseTo(1796446864455.056, 2);
    expect(list.last).toEqual({ file: 'r1-000002.ts', endMs: expect.closeTo(1796446866459.033, 2) as number });
    expect(parseSegmentList('r1-000000.ts,0.000000,1796446864.459256').segments).toEqual([]);
  });

  it('copies the video only, stamped with arrival time, reading only RTSP protocols', () => {
    const args = recordArgs('rtsp://127.0.0.1:5554/cam', '/tmp/x', 3, 2000);
    expect(args).toEqual(expect.arrayContaining(['-c', 'copy', '-use_wallclock_as_timestamps', '-copyts', '-segment_time', '2']));
    expect(args[args.indexOf('-protocol_whitelist') + 1]).toBe('rtsp,rtsps,rtp,srtp,udp,tcp');
    expect(args.at(-1)).toBe('/tmp/x/r3-%06d.ts');
  });
});

describe('recordings left by a crashed process', () => {
  it('are deleted at the next start; those of this process and of running ones, and other files, are kept', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sopwatch-main-sweep-'));
    try {
      // A process that has exited: its id is free (not reused within this test's few milliseconds).
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const dead = Number(child.stdout);
      expect(Number.isInteger(dead) && dead > 0).toBe(true);
      const names = [`${dead}-cam-1`, `${process.pid}-cam-1`, `${process.ppid}-cam-2`, 'notes'];
      for (const n of names) await mkdir(join(root, n));
      await sweepDead(root);
      expect((await readdir(root)).sort()).toEqual(names.slice(1).sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
