// Labels made in the dashboard reach `sopwatch eval`: "missed here" marks made through the API on a real clip are in the
// exported labels file, and eval over that file (real analysis of the clip) counts them as found or missed.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipRepository } from '../../services/core/storage/index.ts';
import { evalClip, evalReport, loadLabelsFile } from '../../services/eval/index.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';

describe('labels made through the API, scored by sopwatch eval', () => {
  let f: ApiFixture;
  let manager: Session;
  let out: string;
  beforeAll(async () => {
    f = await apiFixture();
    manager = await f.login(USERS.managerA);
    out = await mkdtemp(join(tmpdir(), 'sopwatch-eval-export-'));
  });
  afterAll(async () => {
    await f?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('finds the marked gap the analysis raises and counts the one it cannot as missed', async () => {
    // Nobody at the counter for 3 s: the analysis raises a gap for both rules over the whole clip.
    const path = join(f.dataDir, 'clips', 'empty.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=3:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path]);
    const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, cameraId: f.a1.cameraId, filename: 'empty.mp4', path, bytes: 1 });
    const mark = async (rule: string, start: number, end: number): Promise<void> => {
      const res = await f.call(manager, { method: 'POST', url: `/api/clips/${clip.id}/labels`, payload: { sopId: 'counter-staffed', rule, start, end } });
      expect(res.statusCode, res.body).toBe(201);
    };
    await mark('staffed-loosely', 0, 3);
    await mark('staffed-loosely', 20, 25); // nothing there to find: a miss

    const res = await f.call(manager, { method: 'GET', url: `/api/clips/${clip.id}/labels.yaml?sopId=counter-staffed` });
    expect(res.statusCode, res.body).toBe(200);
    // The export names the clip and the SOP file beside it, as a franchise's test set would hold them.
    await writeFile(join(out, 'empty.labels.yaml'), res.body);
    await writeFile(join(out, 'counter-staffed.yaml'), SOP_YAML);
    execFileSync('cp', [path, join(out, 'empty.mp4')]);
    const loaded = await loadLabelsFile(join(out, 'empty.labels.yaml'), out);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    expect(loaded.value.labels.violations.map((v) => [v.rule, v.start, v.end, v.note])).toEqual([['staffed-loosely', 0, 3, 'missed here'], ['staffed-loosely', 20, 25, 'missed here']]);

    const report = evalReport([await evalClip(loaded.value, 3)], 3);
    const loose = report.rules.find((r) => r.rule === 'counter-staffed/staffed-loosely');
    expect(loose).toMatchObject({ labels: 2, found: 1, missed: 1, extra: 0 });
    // The other rule's gap was labelled by nobody: an extra detection.
    expect(report.rules.find((r) => r.rule === 'counter-staffed/staffed')).toMatchObject({ labels: 0, found: 0, extra: 1 });
  }, 120_000);
});
