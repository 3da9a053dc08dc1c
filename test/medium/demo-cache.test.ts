// What `sopwatch demo` keeps between runs, on the real ffmpeg and the real face models: the clip is made once per set
// of inputs and reused, and a face finder answering from kept answers blurs exactly what the models would, loading
// none of them, with no face left for the face detector to find.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedSampleClip, CLIP_SOURCES, sampleClipKey } from '../../services/demo/clip-cache.ts';
import { createFaceFinder } from '../../services/analysis/face-finder.ts';
import { frameAt } from '../../services/analysis/frames.ts';
import { createDetector, DetectionCache, type Detector } from '../../services/detector/index.ts';
import type { Frame } from '../../services/core/contracts.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-demo-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cachedSampleClip', () => {
  it('keys the clip by every module of the demo folder that its drawing imports (a zone moved makes a new clip)', () => {
    const demoDir = join(import.meta.dirname, '../../services/demo');
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const source = readFileSync(join(demoDir, name), 'utf8');
      // Value imports and re-exports of this folder's modules (a type-only import draws nothing).
      for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'\.\/([\w.-]+\.ts)'/gm)) visit(m[1] ?? '');
    };
    visit('sample-clip.ts');
    expect(seen.has('kitchen-layout.ts')).toBe(true);
    expect([...seen].sort()).toEqual([...CLIP_SOURCES].sort());
  });

  it('makes the clip once, reuses it while its inputs stay the same, and drops a stale one', async () => {
    const cacheDir = join(dir, 'clips');
    const stale = join(cacheDir, 'sample-kitchen-0000000000000000.mp4');
    const first = await cachedSampleClip(cacheDir);
    writeFileSync(stale, 'an older clip');
    expect(first.generated).toBe(true);
    expect(first.path).toBe(join(cacheDir, `sample-kitchen-${await sampleClipKey()}.mp4`));
    const made = statSync(first.path).mtimeMs;

    const again = await cachedSampleClip(cacheDir);
    expect(again.generated).toBe(false);
    expect(again.path).toBe(first.path);
    expect(statSync(again.path).mtimeMs).toBe(made);
    expect(again.script).toEqual(first.script);

    // Other inputs, another clip; the ones it replaces are removed.
    expect(await sampleClipKey({ fps: 4 })).not.toBe(await sampleClipKey());
    const other = await cachedSampleClip(cacheDir, { fps: 4 });
    expect(other.generated).toBe(true);
    expect(other.fps).toBe(4);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(first.path)).toBe(false);
    expect(readdirSync(cacheDir).filter((n) => n.endsWith('.mp4'))).toEqual([other.path.split('/').pop()]);
  }, 120_000);
});

describe('a face finder answering from kept answers', () => {
  let frame: Frame;
  let faces: Detector;
  beforeAll(async () => {
    const clip = await cachedSampleClip(join(dir, 'faces-clip'));
    // In the middle of the short sink visit: the person photo faces the camera.
    const raw = await frameAt(clip.path, 5600, 'demo-1');
    if (raw === undefined) throw new Error('no frame at 5.6 s');
    frame = raw;
    faces = await createDetector({ needs: { faces: true, persons: false, pose: false, hands: false, objects: false }, threads: 1 });
  }, 120_000);
  afterAll(async () => {
    await faces?.close();
  });

  const facesIn = async (f: Frame): Promise<number> => (await faces.detect(f)).items.filter((i) => i.kind === 'face').length;

  it('blurs the same pixels as the models without loading them, and leaves no face', async () => {
    // The positive control: the raw frame shows a face.
    expect(await facesIn(frame)).toBeGreaterThan(0);
    const path = join(dir, 'faces.json.gz');

    const first = await DetectionCache.open(path, { detector: { threads: 1 } });
    const live = createFaceFinder({ cache: first });
    let fromModels: Frame;
    try {
      fromModels = await live.scrub(frame);
    } finally {
      await live.close();
    }
    expect(first.stats().started).toBe(true);
    expect((await first.save()).saved).toBe(true);

    const kept = await DetectionCache.open(path, { detector: { threads: 1 } });
    expect(kept.stats().file).toBe('loaded');
    const cached = createFaceFinder({ cache: kept });
    let fromCache: Frame;
    try {
      fromCache = await cached.scrub(frame);
    } finally {
      await cached.close();
    }
    expect(kept.stats().started).toBe(false);
    expect(kept.stats().misses).toBe(0);
    expect(kept.stats().hits).toBeGreaterThan(1);
    expect(fromCache.rgb.equals(fromModels.rgb)).toBe(true);
    expect(fromCache.rgb.equals(frame.rgb)).toBe(false);
    expect(await facesIn(fromCache)).toBe(0);
  }, 120_000);

  it('other pixels are not answered from the cache: the models run on them', async () => {
    const path = join(dir, 'faces.json.gz');
    const kept = await DetectionCache.open(path, { detector: { threads: 1 } });
    const finder = createFaceFinder({ cache: kept });
    const shifted = { ...frame, rgb: Buffer.from(frame.rgb) };
    // One pixel differs: a new frame as far as the cache knows.
    shifted.rgb[0] = (shifted.rgb[0] ?? 0) ^ 0xff;
    try {
      const clean = await finder.scrub(shifted);
      expect(await facesIn(clean)).toBe(0);
    } finally {
      await finder.close();
    }
    expect(kept.stats().started).toBe(true);
    expect(kept.stats().misses).toBeGreaterThan(0);
  }, 120_000);
});
