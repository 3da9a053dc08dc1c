// Body of one detector worker thread: starts a TF.js backend, loads its model set, answers frames one at a time.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../core/errors.ts';
import { ModelSet } from './model-set.ts';
import { toWire, type FromWorker, type ToWorker, type WorkerConfig } from './protocol.ts';
import { startBackend } from './tfjs-backend.ts';

function requirePort(): MessagePort {
  if (!parentPort) throw new Error('detector.worker.ts must run in a worker thread');
  return parentPort;
}

const port = requirePort();
const send = (msg: FromWorker): void => port.postMessage(msg);

async function handle(models: ModelSet, msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'detect': {
      const started = performance.now();
      try {
        const { width, height } = msg.frame;
        const rgb = new Uint8Array(msg.rgb);
        if (rgb.byteLength !== width * height * 3) {
          throw new InputError(`frame of ${width}x${height} needs ${width * height * 3} RGB bytes, got ${rgb.byteLength}`);
        }
        const image = { ...msg.frame, rgb };
        const items = msg.at === undefined ? await models.detect(image, msg.needs) : await models.keypointsAt(image, msg.at);
        send({ type: 'result', id: msg.id, items, inferenceMs: Math.round(performance.now() - started) });
      } catch (e) {
        send({ type: 'failed', id: msg.id, error: toWire(e) });
      }
      return;
    }
    case 'memory': {
      const m = tf.memory();
      send({ type: 'memory', id: msg.id, numTensors: m.numTensors, numBytes: m.numBytes });
      return;
    }
    case 'close':
      models.dispose();
      send({ type: 'closed', numTensors: tf.memory().numTensors });
      return;
  }
}

async function main(): Promise<void> {
  const config = workerData as WorkerConfig;
  let models: ModelSet;
  let backend: Awaited<ReturnType<typeof startBackend>>;
  try {
    backend = await startBackend(config.backend);
    models = await ModelSet.load(config);
    await models.warmUp();
  } catch (e) {
    send({ type: 'fatal', error: toWire(e) });
    return;
  }
  // One frame at a time: a frame's timing and its tensors are its own, and `memory` is read between frames.
  let chain = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    chain = chain.then(() => handle(models, msg)).catch((e: unknown) => send({ type: 'fatal', error: toWire(e) }));
  });
  send({ type: 'ready', backend, models: models.models, minScores: models.minScores });
}

await main();
