// Identical scenes reuse the answer: the same rule on the same camera, the same subjects barely moved and nearly the
// same pixels (a small grayscale thumbnail per keyframe), within a few minutes of the question that was really asked.
import type { Box, VerifyRequest } from '../core/contracts.ts';
import type { CachedAnswer } from './types.ts';

/** What the scene of one question looked like; the caller computes it from the keyframes it sends. */
export interface SceneSignature {
  /** Time of the question (its span's end), in the stream's time base. */
  tMs: number;
  /** The episode's tracked subjects and where they were. */
  subjects: Array<{ id: string; box: Box }>;
  /** One small grayscale thumbnail of each keyframe's region (same side for all), in time order. */
  thumbs: Uint8Array[];
}

export interface SceneReuseOptions {
  /** Scenes kept, one per rule and camera (least recently used go first); 0 turns reuse off. */
  maxEntries: number;
  /** A reuse never spans more than this from the question the model really answered. */
  maxAgeMs: number;
  /** Largest move of any box edge (normalised 0..1) that still counts as not moved. */
  maxBoxShift: number;
  /** Largest mean absolute difference of thumbnail gray levels (0..255) that still counts as the same picture. */
  maxPixelDiff: number;
}

interface Remembered {
  /** The question the model really answered; reuses point at it and never extend its time. */
  requestId: string;
  signature: SceneSignature;
  answer: CachedAnswer;
}

/** Why two scenes differ, or undefined when the second may reuse the first one's answer. */
export function sceneDifference(a: SceneSignature, b: SceneSignature, o: Omit<SceneReuseOptions, 'maxEntries'>): string | undefined {
  if (Math.abs(b.tMs - a.tMs) > o.maxAgeMs) return 'too long ago';
  const ids = (s: SceneSignature): string => s.subjects.map((x) => x.id).sort().join(',');
  if (ids(a) !== ids(b)) return 'other subjects';
  // Boxes are matched as a set, not by id: which of two still persons the tracker numbered first is chance (a camera
  // that dropped out numbers them again), and the question is about the scene, not the numbering.
  const shift = (p: Box, q: Box): number => Math.max(...p.map((v, i) => Math.abs(v - (q[i] ?? Number.NaN))));
  const pairs = b.subjects.flatMap((x, i) => a.subjects.map((y, j) => ({ i, j, d: shift(x.box, y.box) }))).filter((p) => p.d <= o.maxBoxShift);
  pairs.sort((p, q) => p.d - q.d);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  for (const p of pairs) {
    if (usedA.has(p.j) || usedB.has(p.i)) continue;
    usedA.add(p.j);
    usedB.add(p.i);
  }
  const unmatched = b.subjects.find((_, i) => !usedB.has(i));
  if (unmatched !== undefined) return `subject ${unmatched.id} moved`;
  if (a.thumbs.length === 0 || a.thumbs.length !== b.thumbs.length) return 'other keyframes';
  for (const [i, t] of b.thumbs.entries()) {
    const u = a.thumbs[i];
    if (u === undefined || u.length === 0 || u.length !== t.length) return 'other keyframes';
    let sum = 0;
    for (let j = 0; j < t.length; j++) sum += Math.abs((t[j] ?? 0) - (u[j] ?? 0));
    if (!(sum / t.length <= o.maxPixelDiff)) return 'the picture changed';
  }
  return undefined;
}

/** The question's place: one scene per rule (and step) on one camera, for one wording of the question. */
function placeOf(r: VerifyRequest): string {
  return JSON.stringify([r.sop, r.rule, r.step ?? '', r.cameraId, r.question, r.expect]);
}

/** The last decisive answer per rule and camera, bounded in entries and in time. */
export class SceneMemory {
  private readonly places = new Map<string, Remembered>();

  constructor(private readonly options: SceneReuseOptions) {}

  /** An earlier answer for the same unchanged scene: which question it came from and what it said. */
  find(request: VerifyRequest, scene: SceneSignature): { requestId: string; answer: CachedAnswer } | undefined {
    if (this.options.maxEntries <= 0) return undefined;
    const place = placeOf(request);
    const hit = this.places.get(place);
    if (hit === undefined || sceneDifference(hit.signature, scene, this.options) !== undefined) return undefined;
    this.places.delete(place);
    this.places.set(place, hit);
    return { requestId: hit.requestId, answer: hit.answer };
  }

  /** A decisive answer the model gave for this scene; it replaces the rule's earlier scene. */
  remember(request: VerifyRequest, scene: SceneSignature, answer: CachedAnswer): void {
    if (this.options.maxEntries <= 0) return;
    const place = placeOf(request);
    this.places.delete(place);
    this.places.set(place, { requestId: request.id, signature: { tMs: scene.tMs, subjects: scene.subjects.map((s) => ({ ...s })), thumbs: [...scene.thumbs] }, answer });
    while (this.places.size > this.options.maxEntries) {
      const oldest = this.places.keys().next();
      if (oldest.done === true) break;
      this.places.delete(oldest.value);
    }
  }

  get size(): number {
    return this.places.size;
  }
}
