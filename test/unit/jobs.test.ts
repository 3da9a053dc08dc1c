// The job declarations: payload contract (ids only, bounded), job ids, the handler check at start-up, backoff.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../services/core/errors.ts';
import {
  JobName,
  MAX_PAYLOAD_BYTES,
  MissingHandlerError,
  allJobNames,
  assertHandlers,
  assertJobId,
  assertJobPayload,
  type HandlerRegistry,
  type JobOutcome,
} from '../../services/core/jobs.ts';
import { InProcessQueue, backoffDelayMs, startWorkers } from '../../services/core/queue/index.ts';

const ok = async (): Promise<JobOutcome> => ({ status: 'success' });
const fullRegistry = (): HandlerRegistry => Object.fromEntries(allJobNames.map((n) => [n, ok]));

describe('job declarations', () => {
  it('declares the six jobs with their wire names', () => {
    expect(allJobNames).toEqual(['clip.analyse', 'step.verify', 'evidence.build', 'notification.send', 'retention.sweep', 'detectors.warm']);
  });

  it('accepts the declared payloads', () => {
    expect(() => assertJobPayload(JobName.ClipAnalyse, { storeId: 's1', clipId: 'c1' })).not.toThrow();
    expect(() => assertJobPayload(JobName.StepVerify, { storeId: 's1', cameraId: 'bar-1', requestId: 'espresso/shot/tamp/p:3/12500' })).not.toThrow();
    expect(() => assertJobPayload(JobName.StepVerify, { storeId: 's1', cameraId: 'bar-1', requestId: 'r', clipId: 'c1' })).not.toThrow();
    expect(() => assertJobPayload(JobName.RetentionSweep, {})).not.toThrow();
    expect(() => assertJobPayload(JobName.DetectorsWarm, { storeId: 's1', cameraId: 'cam-1' })).not.toThrow();
    expect(() => assertJobPayload(JobName.DetectorsWarm, { storeId: 's1' })).toThrow(/cameraId/);
  });

  it('refuses binary data, unknown keys, missing ids, long strings and non-objects', () => {
    expect(() => assertJobPayload(JobName.ClipAnalyse, { storeId: 's', clipId: new Uint8Array(4) })).toThrow(/binary data/);
    expect(() => assertJobPayload(JobName.ClipAnalyse, { storeId: 's', clipId: 'c', email: 'a@b.c' })).toThrow(InputError);
    expect(() => assertJobPayload(JobName.EvidenceBuild, { storeId: 's' })).toThrow(/violationId/);
    expect(() => assertJobPayload(JobName.ClipAnalyse, { storeId: 's', clipId: 'c'.repeat(257) })).toThrow(InputError);
    expect(() => assertJobPayload(JobName.ClipAnalyse, 'clip-1')).toThrow(InputError);
    expect(() => assertJobPayload('clip.delete' as JobName, {})).toThrow(/unknown job/);
  });

  it('bounds the serialised size even when every field is a valid id', () => {
    const id = 'x'.repeat(256);
    const payload = { storeId: id, cameraId: id, requestId: id, clipId: id };
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(() => assertJobPayload(JobName.StepVerify, payload)).toThrow(/more than 1024/);
  });

  it('never throws anything but InputError, whatever it is given', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allJobNames), fc.anything(), (name, payload) => {
        try {
          assertJobPayload(name, payload);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('checks job ids', () => {
    for (const good of ['clip-1', 'clip-1.v2', 'a/b_c', '42']) expect(() => assertJobId(good)).not.toThrow();
    for (const bad of ['', 'clip:1', 'has space', '-x', 'é', 'x'.repeat(201)]) expect(() => assertJobId(bad)).toThrow(InputError);
  });
});

describe('handler registry', () => {
  it('refuses to start when a declared job has no handler, naming each missing one', () => {
    const registry = fullRegistry();
    delete registry[JobName.EvidenceBuild];
    delete registry[JobName.RetentionSweep];
    expect(() => assertHandlers(registry)).toThrow(MissingHandlerError);
    expect(() => assertHandlers(registry)).toThrow('no handler for jobs evidence.build, retention.sweep');
    expect(() => assertHandlers(fullRegistry())).not.toThrow();
  });

  it('startWorkers registers every job, and registers none when one is missing', async () => {
    const partial = fullRegistry();
    delete partial[JobName.StepVerify];
    const queue = new InProcessQueue();
    expect(() => startWorkers(queue, partial)).toThrow(/step\.verify/);
    // Nothing was registered: a full registry can still be started on the same queue.
    expect(() => startWorkers(queue, fullRegistry(), { [JobName.ClipAnalyse]: 2 })).not.toThrow();
    expect(() => startWorkers(queue, fullRegistry())).toThrow(/already has a handler/);
    await queue.close();
  });
});

describe('backoff', () => {
  it('doubles from the base delay, and jitter only shortens it by at most its share', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, 1000, 0))).toEqual([1000, 2000, 4000, 8000]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (retry, base, jitter) => {
        const full = base * 2 ** (retry - 1);
        const d = backoffDelayMs(retry, base, jitter);
        expect(d).toBeLessThanOrEqual(full);
        expect(d).toBeGreaterThanOrEqual(Math.floor(full * (1 - jitter)));
      }),
    );
  });
});
