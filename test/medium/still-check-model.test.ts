// The frame stage's check with the real pose model (Detector.keypointsAt, services/frames/still-check.ts): on a person
// the person detector found it sees a body, on the same box with nobody in it it does not, and a pool answers it only
// where it has the pose model loaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Box, Frame } from '../../services/core/contracts.ts';
import { createDetector, DetectionCache, type PooledDetector } from '../../services/detector/index.ts';
import { cropFrame, intoCrop } from '../../services/frames/index.ts';
import { bodyAt } from '../../services/frames/still-check.ts';
import { describeFootage, tempDir } from '../fixtures/media.ts';
import { PERSON_CLIP, SAMPLES_JPG, blankFrame, clipFrame, imageFrame } from './detector-helpers.ts';

const NONE = { persons: false, pose: false, hands: false, objects: false, faces: false };
const PERSONS = { ...NONE, persons: true };

/** Whether the pose model sees a body on each box of `frame`. */
async function bodies(detector: Pick<PooledDetector, 'keypointsAt'>, frame: Frame, boxes: Box[]): Promise<boolean[]> {
  const d = await detector.keypointsAt?.(frame, boxes);
  if (d === undefined) throw new Error('no keypoints: the pool has no pose model');
  expect(d.items.map((i) => i.box)).toEqual(boxes);
  return d.items.map((i, k) => bodyAt(i.keypoints, boxes[k] as Box));
}

describe('the pose check on real photos', () => {
  let pool: PooledDetector;
  let bare: PooledDetector;
  beforeAll(async () => {
    [pool, bare] = await Promise.all([createDetector({ needs: { ...PERSONS, pose: true }, threads: 1 }), createDetector({ needs: PERSONS, threads: 1 })]);
  });
  afterAll(async () => {
    await Promise.all([pool?.close(), bare?.close()]);
  });

  it('sees a body where the person detector found a person, and none on an empty picture', async () => {
    const samples = await imageFrame(SAMPLES_JPG);
    const persons = (await pool.view(PERSONS).detect(samples)).items.map((i) => i.box);
    expect(persons.length).toBeGreaterThanOrEqual(4);
    const seen = await bodies(pool, samples, persons);
    expect(seen.filter(Boolean).length).toBeGreaterThanOrEqual(Math.ceil(persons.length * 0.75));
    const empty = await bodies(pool, blankFrame(), persons);
    expect(empty.filter(Boolean)).toEqual([]);
  });

  it('is offered only by pools and views with the pose model', async () => {
    expect('keypointsAt' in pool.view(PERSONS)).toBe(true);
    expect('keypointsAt' in bare.view(PERSONS)).toBe(false);
    await expect(bare.keypointsAt(blankFrame(), [[0.1, 0.1, 0.3, 0.6]])).resolves.toBeUndefined();
  });

  it('a detection cache keeps the answers: a rerun on the same pixels loads no model', async () => {
    const samples = await imageFrame(SAMPLES_JPG);
    const boxes: Box[] = [[0.05, 0.05, 0.2, 0.4]];
    const tmp = tempDir('still-cache');
    try {
      const path = `${tmp.dir}/answers.json.gz`;
      const first = await DetectionCache.open(path);
      const fresh = await first.over(pool.view(PERSONS), PERSONS).keypointsAt?.(samples, boxes);
      expect(fresh?.items.length).toBe(1);
      expect((await first.save()).error).toBeUndefined();
      let started = 0;
      const again = await DetectionCache.open(path, { start: async (o) => { started += 1; return createDetector(o); } });
      const kept = again.detector(PERSONS);
      const answer = await kept.keypointsAt?.(samples, boxes);
      expect(answer?.items).toEqual(fresh?.items);
      expect(started).toBe(0);
      // Other boxes are another question: the model answers it (a lane with the pose model loaded).
      const other = await kept.keypointsAt?.(samples, [[0.5, 0.05, 0.2, 0.4]]);
      expect(other?.items.length).toBe(1);
      expect(started).toBe(1);
      await kept.close();
    } finally {
      tmp.remove();
    }
  });
});

describeFootage('the pose check on the one-by-one clip', [PERSON_CLIP], () => {
  let pool: PooledDetector;
  beforeAll(async () => {
    pool = await createDetector({ needs: { ...PERSONS, pose: true }, threads: 1 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('the person at the table holds a body in their box; the same box once they have gone does not', async () => {
    // At 10 s a person works at the table (a visit from 6.4 to 18.8 s); at 22 s nobody is there.
    const [there, gone] = await Promise.all([clipFrame(PERSON_CLIP, 10), clipFrame(PERSON_CLIP, 22)]);
    const persons = (await pool.view(PERSONS).detect(there)).items.map((i) => i.box);
    expect(persons.length).toBeGreaterThan(0);
    expect(await bodies(pool, there, persons)).toEqual(persons.map(() => true));
    expect(await bodies(pool, gone, persons)).toEqual(persons.map(() => false));
    // As the frame stage asks it: on the region's crop, with the boxes in the crop's coordinates.
    const region: Box = [0.3, 0.3, 0.6, 0.7];
    const crop = cropFrame(there, region);
    expect(await bodies(pool, crop.frame, persons.map((b) => intoCrop(b, crop.box)))).toEqual(persons.map(() => true));
  });
});
