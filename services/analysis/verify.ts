// Answers the engine's `verify` questions: keyframes cropped, blurred and sent to the VLM agent, or needs_review.
import type { Box, Detections, VerifyAnswer } from '../core/contracts.ts';
import type { Keyframe, SceneSignature, VlmAgent } from '../agent/index.ts';
import { cropAndScale, cropAround, encodeJpeg, FaceBlurError, grayThumbnail } from '../evidence/index.ts';
import type { Collected } from './clip-analysis.ts';
import { collect } from './clip-analysis.ts';
import { createFaceFinder, type FaceFinder } from './face-finder.ts';
import { subjectBoxes, type FrameSource } from './evidence.ts';
import { frameAt, nearestDetections, spreadTimes } from './frames.ts';

/** What the detector saw, padded: the model looks at the scene around the step, not the whole room. */
const cropBox = (d: Detections | undefined): Box | undefined =>
  cropAround((d?.items ?? []).filter((i) => i.kind !== 'face').map((i) => i.box), 0.2, 0.02);

export interface VerifyOutcome {
  modelCalls: number;
  costUsd: number;
}

export async function answerVerifyRequests(input: {
  clipPath: string;
  /** Where keyframes come from; default: decoded again from the clip. */
  frames?: FrameSource;
  /** A face finder to share; default: one for this call. */
  faces?: FaceFinder;
  collected: Collected;
  detections: ReadonlyMap<number, Detections>;
  agent: VlmAgent | undefined;
  fps: number;
}): Promise<VerifyOutcome> {
  const { collected, agent } = input;
  let modelCalls = 0;
  let costUsd = 0;
  const faces = input.faces ?? createFaceFinder();
  const frames: FrameSource = input.frames ?? ((tMs, cameraId) => frameAt(input.clipPath, tMs, cameraId));
  try {
    while (collected.pending.length > 0) {
      const request = collected.pending.shift();
      if (request === undefined) break;
      const engine = collected.owner.get(request.id);
      if (engine === undefined) continue;
      let answer: VerifyAnswer;
      if (agent === undefined) {
        answer = { answer: 'unsure', confidence: 0, reason: 'no vision model is configured: a person must check', decidedBy: 'none', evidence: [] };
      } else {
        const keyframes: Keyframe[] = [];
        const thumbs: Uint8Array[] = [];
        for (const [i, tMs] of spreadTimes(request.startMs, request.endMs, request.frames).entries()) {
          const raw = await frames(tMs, request.cameraId);
          if (raw === undefined) continue;
          let jpeg: Buffer;
          try {
            const frame = await faces.scrub(raw);
            const crop = await cropAndScale(frame, cropBox(nearestDetections(input.detections, tMs)) ?? [0, 0, 1, 1], 768);
            // The bytes that leave the machine are checked by the face detector once more.
            jpeg = await faces.renderClean((extra) => encodeJpeg(crop, { quality: 85, faceBoxes: extra }));
            thumbs.push(await grayThumbnail(crop));
          } catch (err) {
            // A frame whose face cannot be blurred never leaves the machine; fewer (or no) frames mean `unsure`.
            if (err instanceof FaceBlurError) continue;
            throw err;
          }
          keyframes.push({ id: `${request.id}#${i + 1}`, tMs, jpeg });
        }
        // What the model is shown, to reuse the rule's last answer while the scene stays the same.
        const scene: SceneSignature = {
          tMs: request.endMs,
          subjects: subjectBoxes({ subjects: request.subjects ?? [] }, nearestDetections(input.detections, keyframes.at(-1)?.tMs ?? request.endMs)).map((b) => ({ id: b.subject, box: b.box })),
          thumbs,
        };
        const result = await agent.verify({ request, keyframes, scene });
        modelCalls += result.calls.length;
        costUsd += result.calls.reduce((sum, c) => sum + c.costUsd, 0);
        answer = result;
      }
      collect(collected, engine, engine.resolveVerify(request.id, answer));
    }
  } finally {
    if (input.faces === undefined) await faces.close();
  }
  return { modelCalls, costUsd: Math.round(costUsd * 1e6) / 1e6 };
}
