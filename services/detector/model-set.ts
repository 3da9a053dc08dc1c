// One thread's models: loads only those the needs call for, runs them on a frame and returns Detection items.
import * as tf from '@tensorflow/tfjs-core';
import type { Box, Detection, Keypoint } from '../core/contracts.ts';
import { UsageError } from '../core/errors.ts';
import { handBoxFromWrist, suppress } from './geometry.ts';
import { BlazeFace } from './models/blazeface.ts';
import { CenterNet, type LabelledBox } from './models/centernet.ts';
import { MoveNet } from './models/movenet.ts';
import { modelsFor } from './needs.ts';
import type { FrameMeta } from './protocol.ts';
import type { DetectorNeeds, MinScores, ModelName } from './types.ts';

export interface ModelSetConfig {
  needs: DetectorNeeds;
  minScore?: number;
  minScores?: Partial<MinScores>;
  maxPersons: number;
}

/** Raw RGB24 pixels, `width * height * 3` bytes, with how large CenterNet may see them (Frame.cropOf, Frame.noUpscale). */
export interface RgbImage extends FrameMeta {
  rgb: Uint8Array;
}

/** An elbow this sure is used to place the hand past the wrist; below it the hand is centred on the wrist. */
const ELBOW_MIN_SCORE = 0.2;
const SAME_HAND_IOU = 0.5;
const PERSON_ONLY = ['person'] as const;

function byScore(a: { score: number }, b: { score: number }): number {
  return b.score - a.score;
}

export class ModelSet {
  private scratch = new Float32Array(0);

  private constructor(
    private readonly config: ModelSetConfig,
    readonly minScores: MinScores,
    private readonly centernet: CenterNet | undefined,
    private readonly movenet: MoveNet | undefined,
    private readonly blazeface: BlazeFace | undefined,
  ) {}

  static async load(config: ModelSetConfig): Promise<ModelSet> {
    const names = modelsFor(config.needs);
    if (names.length === 0) throw new UsageError('detector: the needs ask for nothing (persons, pose, hands, objects, faces are all false)');
    const loaded: Array<{ dispose(): void }> = [];
    try {
      const centernet = names.includes('centernet') ? await CenterNet.load() : undefined;
      if (centernet) loaded.push(centernet);
      const movenet = names.includes('movenet-lightning') ? await MoveNet.load() : undefined;
      if (movenet) loaded.push(movenet);
      const blazeface = names.includes('blazeface') ? await BlazeFace.load() : undefined;
      if (blazeface) loaded.push(blazeface);
      const pick = (kind: keyof MinScores, fallback: number): number => config.minScores?.[kind] ?? config.minScore ?? fallback;
      const minScores: MinScores = {
        person: pick('person', centernet?.defaultMinScore('person') ?? 0.35),
        object: pick('object', centernet?.defaultMinScore('object') ?? 0.3),
        face: pick('face', blazeface?.defaultMinScore() ?? 0.3),
        hand: pick('hand', movenet?.defaultMinScore('hand') ?? 0.3),
      };
      return new ModelSet(config, minScores, centernet, movenet, blazeface);
    } catch (e) {
      for (const m of loaded) m.dispose();
      throw e;
    }
  }

  get models(): ModelName[] {
    return modelsFor(this.config.needs);
  }

  /**
   * Runs every loaded model once, so that the first real frame does not pay for their first run (building their
   * operators, compiling their code). On a tiny picture (CenterNet at its own 64 px): what a first run costs besides
   * the picture's pixels is the same at any size, and a 16:9 frame's worth of pixels cost about 90 CPU ms more per
   * thread than the bigger first real call that follows this one (measured: 790 -> 695 ms for warm-up and three calls).
   */
  async warmUp(): Promise<void> {
    const image = tf.fill<tf.Rank.R4>([1, 36, 64, 3], 128, 'float32');
    try {
      // The class layer this set's own needs use (views may use others: those are small).
      if (this.centernet) await this.centernet.detect(image, 1, 'own', undefined, this.labelsFor(this.centernet, this.config.needs));
      await this.movenet?.keypoints(image, [0.25, 0.1, 0.5, 0.8]);
      await this.blazeface?.detect(image, 1);
    } finally {
      image.dispose();
    }
  }

  /**
   * What `needs` ask for on one frame (default: what this set was loaded for). Needs beyond the loaded models are a
   * UsageError: a view of a pool never loads a model on the fly.
   */
  async detect(frame: RgbImage, needs: DetectorNeeds = this.config.needs): Promise<Detection[]> {
    const missing = modelsFor(needs).filter((m) => !this.models.includes(m));
    if (missing.length > 0) throw new UsageError(`detector: asked for ${missing.join(', ')}, which this worker did not load (${this.models.join(', ')})`);
    const image = tf.tensor4d(this.floats(frame.rgb), [1, frame.height, frame.width, 3], 'float32');
    try {
      const items: Detection[] = [];
      if (this.centernet && (needs.persons || needs.pose || needs.hands || needs.objects)) items.push(...(await this.personsAndObjects(image, this.centernet, needs, frame)));
      if (this.blazeface && needs.faces) {
        for (const f of (await this.blazeface.detect(image, this.minScores.face)).sort(byScore)) {
          items.push({ kind: 'face', label: 'face', score: f.score, box: f.box });
        }
      }
      return items;
    } finally {
      image.dispose();
    }
  }

  /**
   * The pose model alone on each box (normalised): a person item per box, in order, with the box as given, its
   * keypoints and their mean score (Detector.keypointsAt). A UsageError when this set has no pose model.
   */
  async keypointsAt(frame: RgbImage, boxes: readonly Box[]): Promise<Detection[]> {
    const movenet = this.movenet;
    if (movenet === undefined) throw new UsageError(`detector: asked for keypoints at boxes, but this worker did not load the pose model (${this.models.join(', ')})`);
    const image = tf.tensor4d(this.floats(frame.rgb), [1, frame.height, frame.width, 3], 'float32');
    try {
      const items: Detection[] = [];
      for (const box of boxes) {
        const keypoints = await movenet.keypoints(image, box);
        const score = keypoints.reduce((s, k) => s + k.score, 0) / Math.max(1, keypoints.length);
        items.push({ kind: 'person', label: 'person', score, box, keypoints });
      }
      return items;
    } finally {
      image.dispose();
    }
  }

  /**
   * The frame's bytes as floats for its input tensor. `set` converts in one pass (`Float32Array.from` walks the bytes
   * one by one: about 2 ms of a 380 KB crop, against 0.1 ms). The wasm backend copies a new tensor's values into its own
   * memory at once, so one array serves every frame, and a frame no longer leaves megabytes for the GC; other backends
   * may keep the array they are given, so they get a new one each time.
   */
  private floats(rgb: Uint8Array): Float32Array {
    if (tf.getBackend() !== 'wasm') return new Float32Array(rgb);
    if (this.scratch.length < rgb.length) this.scratch = new Float32Array(rgb.length);
    const view = this.scratch.subarray(0, rgb.length);
    view.set(rgb);
    return view;
  }

  /** Only the heatmaps of what is wanted are worth computing: persons, and the objects' labels (all when not said). */
  private labelsFor(centernet: CenterNet, needs: DetectorNeeds): readonly string[] | undefined {
    if (!needs.objects) return PERSON_ONLY;
    if (needs.labels === undefined) return undefined;
    return centernet.known(needs.persons || needs.pose || needs.hands ? ['person', ...needs.labels] : needs.labels);
  }

  private async personsAndObjects(image: tf.Tensor4D, centernet: CenterNet, needs: DetectorNeeds, frame: Pick<RgbImage, 'cropOf' | 'noUpscale'>): Promise<Detection[]> {
    const { maxPersons } = this.config;
    const wantPersons = needs.persons || needs.pose;
    const labels = this.labelsFor(centernet, needs);
    const hits = await centernet.detect(image, Math.min(this.minScores.person, this.minScores.object), frame.noUpscale === true ? 'own' : 'aspect', frame.cropOf, labels);
    const persons = hits.filter((h) => h.label === 'person' && h.score >= this.minScores.person).sort(byScore);
    const out: Detection[] = [];
    const hands: Array<{ box: Detection['box']; score: number }> = [];
    for (const [i, p] of persons.entries()) {
      const person: Detection = { kind: 'person', label: 'person', score: p.score, box: p.box };
      if (this.movenet && (needs.pose || needs.hands) && i < maxPersons) {
        const keypoints = await this.movenet.keypoints(image, p.box);
        if (needs.pose) person.keypoints = keypoints;
        if (needs.hands) hands.push(...this.handsOf(keypoints, p, image));
      }
      if (wantPersons) out.push(person);
    }
    for (const h of suppress(hands, SAME_HAND_IOU).sort(byScore)) out.push({ kind: 'hand', label: 'hand', score: h.score, box: h.box });
    if (needs.objects) {
      // CenterNet found only the labels asked for (labelsFor).
      const objects = hits.filter((h) => h.label !== 'person' && h.score >= this.minScores.object).sort(byScore);
      for (const o of objects) out.push({ kind: 'object', label: o.label, score: o.score, box: o.box });
    }
    return out;
  }

  private handsOf(keypoints: Keypoint[], person: LabelledBox, image: tf.Tensor4D): Array<{ box: Detection['box']; score: number }> {
    const [, height, width] = image.shape;
    const find = (part: string): Keypoint | undefined => keypoints.find((k) => k.part === part);
    const hands: Array<{ box: Detection['box']; score: number }> = [];
    for (const side of ['left', 'right'] as const) {
      const wrist = find(`${side}Wrist`);
      if (!wrist || wrist.score < this.minScores.hand) continue;
      const elbow = find(`${side}Elbow`);
      const box = handBoxFromWrist(wrist.point, elbow && elbow.score >= ELBOW_MIN_SCORE ? elbow.point : undefined, person.box, width, height);
      if (box) hands.push({ box, score: wrist.score });
    }
    return hands;
  }

  dispose(): void {
    this.centernet?.dispose();
    this.movenet?.dispose();
    this.blazeface?.dispose();
  }
}
