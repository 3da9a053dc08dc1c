// The SOP and the tiny generated clips of the chaos tests and the API load bench (no test-runner imports here).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Two `required` rules over the whole frame: an empty scene longer than 2 s gives exactly one gap for each (a clip
 * under 3 s keeps it to one keyframe per violation: evidence is most of the analysis time).
 */
export const CHAOS_SOP_YAML = `id: counter-staffed
title: Counter staffed
version: 1
cameras: ["*"]
zones:
  "*":
    counter: [[0, 0], [1, 0], [1, 1], [0, 1]]
rules:
  - id: staffed
    kind: required
    when: { person_in: counter }
    max_gap: 1s
    severity: high
  - id: staffed-loosely
    kind: required
    when: { person_in: counter }
    max_gap: 2s
`;

/** The violations one analysed empty clip must have, as `rule:kind`. */
export const EXPECTED_VIOLATIONS = ['staffed-loosely:gap', 'staffed:gap'];

/** An empty grey scene of `seconds` at 5 fps, 320x240 H.264: nobody at the counter. */
export async function makeClip(dir: string, name: string, seconds: number): Promise<string> {
  const path = join(dir, name);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=gray:s=320x240:d=${seconds}:r=5`, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path]);
  return path;
}
