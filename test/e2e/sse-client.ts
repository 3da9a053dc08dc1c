// A server-sent events reader for end-to-end tests: collects `/api/events` as they arrive, until stopped.
import { expect } from 'vitest';

export interface FeedEvent {
  type: string;
  data: Record<string, unknown>;
  /** When this process read it (ms since the epoch). */
  atMs: number;
}

export interface EventFeed {
  events: FeedEvent[];
  stop(): void;
}

export async function listenEvents(url: string, cookie: string): Promise<EventFeed> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/events`, { headers: { cookie }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: FeedEvent[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (type !== undefined && data !== undefined) events.push({ type, data: JSON.parse(data) as Record<string, unknown>, atMs: Date.now() });
      }
    }
  })();
  return { events, stop: () => controller.abort() };
}
