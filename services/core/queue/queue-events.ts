// A typed event emitter for queue events; a listener that throws cannot break the queue that emitted.
import { EventEmitter } from 'node:events';
import type { QueueEvent, QueueEventMap } from './job-queue.ts';

export class QueueEvents {
  private readonly emitter = new EventEmitter();

  on<E extends QueueEvent>(event: E, listener: (e: QueueEventMap[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => {
      this.emitter.off(event, listener);
    };
  }

  emit<E extends QueueEvent>(event: E, payload: QueueEventMap[E]): void {
    // 'error' with no listener would throw from EventEmitter; the backends keep retrying by themselves.
    if (this.emitter.listenerCount(event) === 0) return;
    try {
      this.emitter.emit(event, payload);
    } catch (err) {
      if (event !== 'error') this.emit('error', { error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
}
