// A bounded hand-over between a camera and whoever analyses it: the newest frame wins, older ones are dropped and counted.

export class FrameBuffer<T> {
  private readonly items: T[] = [];
  private waiter: ((item: T | undefined) => void) | undefined;
  private closed = false;
  private pushedCount = 0;
  private droppedCount = 0;
  private takenCount = 0;

  /**
   * @param capacity frames held while the consumer is busy (at least 1).
   * @param onTake called each time the consumer takes a frame (to measure the rate out).
   */
  constructor(private readonly capacity = 2, private readonly onTake?: () => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`FrameBuffer capacity must be a positive integer, got ${capacity}`);
  }

  /** Adds a frame; when full, the oldest held frame is dropped. Ignored after close. */
  push(item: T): void {
    if (this.closed) return;
    this.pushedCount += 1;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.takenCount += 1;
      this.onTake?.();
      w(item);
      return;
    }
    this.items.push(item);
    while (this.items.length > this.capacity) {
      this.items.shift();
      this.droppedCount += 1;
    }
  }

  /** The oldest held frame, waiting for one if none; undefined once closed and empty. One consumer only. */
  next(): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.takenCount += 1;
      this.onTake?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    if (this.waiter !== undefined) return Promise.reject(new Error('FrameBuffer: only one consumer may wait at a time'));
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Wakes the consumer with undefined; held frames can still be taken. */
  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }

  get size(): number {
    return this.items.length;
  }

  get pushed(): number {
    return this.pushedCount;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get taken(): number {
    return this.takenCount;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      const item = await this.next();
      if (item === undefined) return;
      yield item;
    }
  }
}
