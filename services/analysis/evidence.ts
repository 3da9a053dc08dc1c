// Writes the evidence of a clip analysis: keyframes per violation and a timeline strip of the whole clip.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Detections, Polygon, Violation } from '../core/contracts.ts';
import { composeKeyframe, renderTimeline, writeFileAtomic } from '../evidence/index.ts';
import { createFaceFinder } from './face-finder.ts';
import type { Rule } from '../rules/compiled.ts';
import { ruleZones } from '../rules/rule-conditions.ts';
import { frameAt, nearestDetections, spreadTimes } from './frames.ts';

export interface EvidenceInput {
  clipPath: string;
  dir: string;
  violations: Violation[];
  zonesBySop: ReadonlyMap<string, Record<string, Polygon>>;
  /** The rules behind the violations, by `<sop>/<rule>`: titles for captions, zones to highlight. */
  rules: ReadonlyMap<string, Rule>;
  detections: ReadonlyMap<number, Detections>;
  durationMs: number;
  title: string;
  /** Thumbnails in the timeline strip. */
  thumbnails?: number;
}

/** A file name that is the same for the same violation on every run (idempotent writes). */
export function evidenceName(violationId: string, k: number): string {
  return `${violationId.replace(/[^a-zA-Z0-9._-]+/g, '_')}-${k}.jpg`;
}

const clock = (ms: number): string => {
  const s = Math.max(0, ms) / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
};

export async function buildEvidence(input: EvidenceInput): Promise<{ dir: string; timeline?: string; errors: string[] }> {
  await mkdir(input.dir, { recursive: true });
  const errors: string[] = [];
  const faces = createFaceFinder();
  try {
    for (const v of input.violations) {
      const zones = input.zonesBySop.get(v.sop) ?? {};
      const rule = input.rules.get(`${v.sop}/${v.rule}`);
      const times = spreadTimes(v.startMs, v.endMs, v.endMs - v.startMs >= 3000 ? 3 : 1);
      for (const [k, tMs] of times.entries()) {
        try {
          const raw = await frameAt(input.clipPath, tMs, v.cameraId);
          if (raw === undefined) throw new Error(`no frame at ${clock(tMs)}`);
          const frame = await faces.scrub(raw);
          const detections = nearestDetections(input.detections, tMs);
          const outPath = join(input.dir, evidenceName(v.id, k + 1));
          const spec = {
            frame,
            ...(detections ? { detections } : {}),
            zones,
            // The zones the rule looks at are drawn highlighted.
            highlightZones: rule ? ruleZones(rule) : [],
            caption: [
              `${rule?.title ?? v.rule}${v.step ? ` — step ${v.step}` : ''}`,
              `${v.kind} · ${v.severity} · ${clock(v.startMs)}–${clock(v.endMs)} · frame at ${clock(tMs)}`,
              v.message,
            ],
            // Already scrubbed above; renderKeyframe blurs the heads of the drawn persons again.
            faceBoxes: [],
            outPath,
          };
          // What is written is checked by the face detector, byte for byte, before it reaches the disk.
          const jpeg = await faces.renderClean((extra) => composeKeyframe({ ...spec, faceBoxes: extra }), frame.height);
          await writeFileAtomic(outPath, jpeg);
          v.evidence.push(evidenceName(v.id, k + 1));
        } catch (err) {
          // No image is better than an unblurred one: the violation keeps its reason and says why it has no picture.
          errors.push(`${v.id} keyframe ${k + 1}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }

    const count = input.thumbnails ?? 10;
    const thumbnails = [];
    for (const tMs of spreadTimes(0, input.durationMs, count)) {
      const raw = await frameAt(input.clipPath, tMs, 'timeline', 640);
      if (raw === undefined) continue;
      try {
        thumbnails.push({ tMs, frame: await faces.scrub(raw), faceBoxes: [] });
      } catch (err) {
        errors.push(`timeline thumbnail at ${clock(tMs)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    try {
      const { path } = await renderTimeline({
        thumbnails,
        durationMs: input.durationMs,
        spans: input.violations.map((v) => ({
          label: `${v.rule}${v.step ? `/${v.step}` : ''}`,
          startMs: v.startMs,
          endMs: v.endMs,
          severity: v.severity,
          kind: v.kind,
        })),
        title: input.title,
        outPath: join(input.dir, 'timeline.jpg'),
      });
      return { dir: input.dir, timeline: path, errors };
    } catch (err) {
      errors.push(`timeline: ${err instanceof Error ? err.message : String(err)}`);
      return { dir: input.dir, errors };
    }
  } finally {
    await faces.close();
  }
}
