// A loopback webhook receiver: records every request, answers from a script (500 then 200, hang…), and can
// deduplicate on Idempotency-Key the way a careful receiver does, so tests can count what a person would see.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ReceiverBehaviour =
  /** Answer this status with this body (default 200, `{"ok":true}`). */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Never answer. `processed` (default true): the message was taken and shown before the answer got lost. */
  | { kind: 'hang'; processed?: boolean };

export interface ReceivedRequest {
  seq: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  raw: string;
  body: unknown;
  idempotencyKey?: string;
  /** A request whose key was already taken: answered 200, not shown again. */
  duplicate: boolean;
  /** Taken and shown to a person (first of its key, answered 2xx or processed before hanging). */
  accepted: boolean;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** A URL under the receiver; add a path and query like a bot URL with its token. */
  url(path?: string): string;
  requests: ReceivedRequest[];
  /** What a person saw: accepted requests in order. */
  accepted(): ReceivedRequest[];
  /** Behaviours for the next requests, in order; afterwards the default applies. */
  script(...behaviours: ReceiverBehaviour[]): void;
  setDefault(behaviour: ReceiverBehaviour): void;
  /** Resolves when at least `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { dedupe?: boolean; default?: ReceiverBehaviour } = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const queue: ReceiverBehaviour[] = [];
  let fallback: ReceiverBehaviour = options.default ?? { kind: 'status', status: 200 };
  const seenKeys = new Set<string>();
  const sockets = new Set<Socket>();
  const waiters: Array<() => void> = [];

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as text: the test decides whether that is wrong.
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const key = headers['idempotency-key'];
    const duplicate = options.dedupe === true && key !== undefined && seenKeys.has(key);
    const behaviour = queue.shift() ?? fallback;
    const taken = !duplicate && (behaviour.kind === 'hang' ? behaviour.processed !== false : behaviour.status >= 200 && behaviour.status < 300);
    if (taken && key !== undefined) seenKeys.add(key);
    requests.push({
      seq: requests.length + 1, method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, raw, body,
      ...(key === undefined ? {} : { idempotencyKey: key }), duplicate, accepted: taken,
    });
    for (const w of waiters.splice(0)) w();
    if (duplicate) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"duplicate":true}');
      return;
    }
    if (behaviour.kind === 'hang') return;
    res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers }).end(behaviour.body ?? '{"ok":true}');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    url: (path = '/hook') => `${origin}${path}`,
    requests,
    accepted: () => requests.filter((r) => r.accepted),
    script: (...b) => {
      queue.push(...b);
    },
    setDefault: (b) => {
      fallback = b;
    },
    waitForRequests: async (n, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`webhook receiver: ${requests.length} of ${n} requests after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
