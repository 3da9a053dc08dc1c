// The detection cache's own logic: keys on the exact pixels, answers narrowed to the asked needs, a file it cannot
// trust ignored (never partly used), a bounded size. The detector behind it is a counting stand-in here; the real
// one answers in test/medium/dry-run-detection-cache.test.ts.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Detection, Frame } from '../../services/core/contracts.ts';
import { DetectionCache, type Detector, type DetectorNeeds, type DetectorOptions } from '../../services/detector/index.ts';

const ALL: DetectorNeeds = { persons: true, pose: true, hands: true, objects: true, faces: true };
const PERSONS: DetectorNeeds = { persons: true, pose: false, hands: false, objects: false, faces: false };
const HANDS: DetectorNeeds = { persons: true, pose: false, hands: true, objects: false, faces: false };

/** Every kind, as the model set returns them under `ALL` (persons, hands, objects, faces, in that order). */
function answer(seed: number): Detection[] {
  return [
    { kind: 'person', label: 'person', score: 0.9, box: [0.1 + seed / 1000, 0.2, 0.3, 0.6], keypoints: [{ part: 'leftWrist', point: [0.2, 0.5], score: 0.8 }] },
    { kind: 'hand', label: 'hand', score: 0.8, box: [0.18, 0.48, 0.05, 0.05] },
    { kind: 'object', label: 'cell phone', score: 0.5, box: [0.7, 0.7, 0.05, 0.04] },
    { kind: 'face', label: 'face', score: 0.7, box: [0.2, 0.22, 0.05, 0.06] },
  ];
}

function frame(index: number, fill: number, width = 8, height = 6): Frame {
  return { cameraId: 'cam', index, tMs: index * 200, width, height, rgb: Buffer.alloc(width * height * 3, fill) };
}

/** A stand-in detector: answers from the first pixel's value, keeping only what the needs ask for, and counts. */
function counting(): { start: (o: DetectorOptions) => Promise<Detector>; starts: number; calls: number } {
  const c = {
    starts: 0,
    calls: 0,
    start: async (o: DetectorOptions): Promise<Detector> => {
      c.starts += 1;
      return {
        backend: 'stub',
        threads: 1,
        close: async () => undefined,
        detect: async (f: Frame) => {
          c.calls += 1;
          const items = answer(f.rgb[0] ?? 0).filter((d) =>
            d.kind === 'person' ? o.needs.persons || o.needs.pose : d.kind === 'hand' ? o.needs.hands : d.kind === 'object' ? o.needs.objects && (o.needs.labels?.includes(d.label) ?? true) : o.needs.faces,
          ).map((d) => (o.needs.pose ? d : { ...d, keypoints: undefined })).map((d) => JSON.parse(JSON.stringify(d)) as Detection);
          return { cameraId: f.cameraId, frameIndex: f.index, tMs: f.tMs, width: f.width, height: f.height, items, inferenceMs: 150 };
        },
      };
    },
  };
  return c;
}

describe('detection cache', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sopwatch-detcache-'));
    path = join(dir, 'evidence', 'clip-1', 'detections.json.gz');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** A file holding the answers for pixel values 1..n under `needs`, written as a run would write it. */
  async function filled(n: number, needs: DetectorNeeds = ALL): Promise<void> {
    const stub = counting();
    const cache = await DetectionCache.open(path, { start: stub.start });
    const det = cache.detector(needs);
    for (let i = 1; i <= n; i++) await det.detect(frame(i, i));
    await det.close();
    expect(await cache.save()).toEqual({ saved: true });
  }

  it('answers known pixels without starting the detector, as the detector answered them, at the asking frame\'s time', async () => {
    await filled(3);
    const stub = counting();
    const cache = await DetectionCache.open(path, { start: stub.start });
    expect(cache.stats()).toMatchObject({ file: 'loaded', entries: 3 });
    const det = cache.detector(ALL);
    // The same pixels at another frame index (a still scene): the same answer, timed at this frame.
    const d = await det.detect(frame(40, 2));
    expect(d).toEqual({ cameraId: 'cam', frameIndex: 40, tMs: 8000, width: 8, height: 6, items: answer(2), inferenceMs: 0 });
    expect(stub.starts).toBe(0);
    // Other pixels, even of a frame index seen before, go to the detector (started now) and are kept.
    await det.detect(frame(2, 77));
    expect([stub.starts, stub.calls]).toEqual([1, 1]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 4, started: true });
    expect(det.backend).toBe('stub');
    await det.close();
  });

  it('starts one detector thread for a few misses, more while misses outnumber hits and every thread is busy', async () => {
    const threads: Array<number | undefined> = [];
    const slow = async (o: DetectorOptions): Promise<Detector> => {
      threads.push(o.threads);
      const inner = await counting().start(o);
      return { ...inner, detect: async (f: Frame) => new Promise((resolve) => setTimeout(() => resolve(inner.detect(f)), 20)) };
    };
    // A cold cache (a first analysis, moved zones): a second thread as soon as two frames wait.
    const cold = await DetectionCache.open(path, { start: slow, detector: { threads: 2 } });
    const det = cold.detector(ALL);
    await Promise.all([1, 2, 3, 4].map((i) => det.detect(frame(i, i))));
    expect(threads).toEqual([1, 1]);
    await det.close();
    await cold.save();

    // A warm one: the misses among many hits wait for the one thread.
    threads.length = 0;
    const warm = await DetectionCache.open(path, { start: slow, detector: { threads: 2 } });
    const again = warm.detector(ALL);
    await Promise.all([1, 2, 3, 4].map((i) => again.detect(frame(i, i))));
    await Promise.all([5, 6, 7].map((i) => again.detect(frame(i, i))));
    expect(threads).toEqual([1]);
    expect(warm.stats()).toMatchObject({ hits: 4, misses: 3 });
    await again.close();
  });

  it('a crop is other pixels: same frame, other size or content, no answer', async () => {
    await filled(1);
    const cache = await DetectionCache.open(path, { start: counting().start });
    const det = cache.detector(ALL);
    await det.detect(frame(1, 1, 6, 8));
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 });
    // The same pixels as a region crop of a larger frame are detected within that frame's budget: another question.
    await det.detect({ ...frame(2, 1), cropOf: { width: 16, height: 9 } });
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 2 });
    await det.detect({ ...frame(3, 1), cropOf: { width: 16, height: 9 } });
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2 });
    // So are they as a thumbnail the detector must not scale up.
    await det.detect({ ...frame(4, 1), noUpscale: true });
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3 });
    await det.close();
  });

  it('an answer made for more needs serves fewer, narrowed to them; never the other way round', async () => {
    await filled(1, ALL);
    const stub = counting();
    const cache = await DetectionCache.open(path, { start: stub.start });
    const persons = await cache.detector(PERSONS).detect(frame(1, 1));
    expect(persons.items).toEqual([{ kind: 'person', label: 'person', score: 0.9, box: answer(1)[0]?.box }]);
    const hands = await cache.detector(HANDS).detect(frame(1, 1));
    expect(hands.items.map((d) => d.kind)).toEqual(['person', 'hand']);
    expect(stub.calls).toBe(0);

    await filled(2, PERSONS);
    const again = counting();
    const narrow = await DetectionCache.open(path, { start: again.start });
    await narrow.detector(HANDS).detect(frame(2, 2));
    expect(again.calls).toBe(1);
  });

  it('an answer made for some object labels serves those (kept in the file), never other labels or every label', async () => {
    const phones: DetectorNeeds = { ...PERSONS, objects: true, labels: ['cell phone'] };
    await filled(1, ALL);
    const stub = counting();
    const cache = await DetectionCache.open(path, { start: stub.start });
    // Every label covers one: narrowed to it (a knife list gets no phone).
    expect((await cache.detector(phones).detect(frame(1, 1))).items.map((d) => d.label)).toEqual(['person', 'cell phone']);
    expect((await cache.detector({ ...phones, labels: ['knife'] }).detect(frame(1, 1))).items.map((d) => d.label)).toEqual(['person']);
    expect(stub.calls).toBe(0);

    await filled(2, phones);
    const again = counting();
    const reopened = await DetectionCache.open(path, { start: again.start });
    expect((await reopened.detector({ ...phones, labels: ['cell phone'] }).detect(frame(2, 2))).items.map((d) => d.label)).toEqual(['person', 'cell phone']);
    expect(again.calls).toBe(0);
    await reopened.detector({ ...phones, labels: ['cell phone', 'knife'] }).detect(frame(2, 2));
    expect(again.calls).toBe(1);
    await reopened.detector({ ...PERSONS, objects: true }).detect(frame(2, 2));
    expect(again.calls).toBe(2);
  });

  it('a hit cannot be changed through the answer it gave', async () => {
    await filled(1);
    const cache = await DetectionCache.open(path, { start: counting().start });
    const det = cache.detector(ALL);
    const first = await det.detect(frame(1, 1));
    (first.items[0] as unknown as { box: number[] }).box[0] = 0.99;
    first.items.pop();
    expect((await det.detect(frame(1, 1))).items).toEqual(answer(1));
  });

  const damaged: Array<[string, (bytes: Buffer) => Buffer | string]> = [
    ['truncated', (b) => b.subarray(0, Math.floor(b.length / 2))],
    ['not gzip', () => 'hello'],
    ['gzip of something else', () => gzipSync('{"format":"other","version":1}')],
    ['another detector made it', (b) => gzipSync(gunzipSync(b).toString().replace(/"fingerprint":"[0-9a-f]+"/, `"fingerprint":"${'0'.repeat(64)}"`))],
    ['one entry\'s box is not numbers', (b) => gzipSync(gunzipSync(b).toString().replace(/"box":\[[^\]]+\]/, '"box":["a","b","c","d"]'))],
    ['one entry carries a track id', (b) => gzipSync(gunzipSync(b).toString().replace('"kind":"hand"', '"kind":"hand","trackId":"h1"'))],
    ['one key is not a hash', (b) => gzipSync(gunzipSync(b).toString().replace(/"k":"[0-9a-f]{32}"/, '"k":"../../etc"'))],
    ['a kind of thing the detector never reports', (b) => gzipSync(gunzipSync(b).toString().replace('"kind":"face"', '"kind":"ghost"'))],
  ];
  for (const [name, spoil] of damaged) {
    it(`a file that is ${name} is ignored whole: every frame is detected, and the next save replaces it`, async () => {
      await filled(2);
      await writeFile(path, spoil(await readFile(path)));
      const stub = counting();
      const cache = await DetectionCache.open(path, { start: stub.start });
      expect(cache.stats()).toMatchObject({ file: 'ignored', entries: 0 });
      expect(cache.stats().reason).toBeTruthy();
      const det = cache.detector(ALL);
      expect((await det.detect(frame(1, 1))).items).toEqual(answer(1));
      expect(stub.calls).toBe(1);
      await cache.save();
      expect((await DetectionCache.open(path)).stats()).toMatchObject({ file: 'loaded', entries: 1 });
    });
  }

  it('settings that change the answers (scores, persons per frame, backend) make the file another detector\'s', async () => {
    await filled(1);
    for (const detector of [{ minScore: 0.5 }, { maxPersons: 2 }, { backend: 'cpu' as const }]) {
      expect((await DetectionCache.open(path, { detector })).stats().file).toBe('ignored');
    }
    // The thread count changes nothing an answer holds.
    expect((await DetectionCache.open(path, { detector: { threads: 7 } })).stats().file).toBe('loaded');
  });

  it('a gzip bomb is refused without inflating it past the bound', async () => {
    await filled(1);
    await writeFile(path, gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)));
    const cache = await DetectionCache.open(path, { maxBytes: 1024 * 1024 });
    expect(cache.stats()).toMatchObject({ file: 'ignored' });
    expect(cache.stats().reason).toMatch(/within 1048576 bytes/);
  });

  it('keeps at most maxBytes of answers: the rest are used in this run, not kept', async () => {
    const stub = counting();
    const cache = await DetectionCache.open(path, { start: stub.start, maxBytes: 3000 });
    const det = cache.detector(ALL);
    for (let i = 1; i <= 20; i++) await det.detect(frame(i, i));
    const s = cache.stats();
    expect(s.entries).toBeGreaterThan(0);
    expect(s.dropped).toBe(20 - s.entries);
    await cache.save();
    expect(gunzipSync(await readFile(path)).length).toBeLessThanOrEqual(3000);
    expect((await DetectionCache.open(path, { maxBytes: 3000 })).stats()).toMatchObject({ file: 'loaded', entries: s.entries });
    expect((await stat(path)).size).toBeLessThan(3000);
  });

  it('nothing new, nothing written; a folder that cannot be written is reported, not thrown', async () => {
    const cache = await DetectionCache.open(path, { start: counting().start });
    expect(await cache.save()).toEqual({ saved: false });
    await writeFile(join(dir, 'evidence'), 'a file where the folder should be');
    await cache.detector(ALL).detect(frame(1, 1));
    const saved = await cache.save();
    expect(saved.saved).toBe(false);
    expect(saved.error).toContain(path);
  });
});
