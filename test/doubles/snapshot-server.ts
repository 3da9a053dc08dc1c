// Test double of a camera's snapshot URL: JPEGs behind HTTP Digest, with switchable misbehaviour
// (not a JPEG, an error status, a hang) and a request count.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DigestGuard } from '../../services/simulate/digest-guard.ts';

export type SnapshotMode = 'ok' | 'not_jpeg' | 'error' | 'hang';

export interface SnapshotDouble {
  url: string;
  port: number;
  mode: SnapshotMode;
  requests: number;
  /** Requests answered 401 (challenges and refused credentials). */
  refused: number;
  stop(): Promise<void>;
}

export async function startSnapshotDouble(o: { jpeg: () => Buffer; username: string; password: string; port?: number }): Promise<SnapshotDouble> {
  const guard = new DigestGuard('snapcam', o.username, o.password);
  const sockets = new Set<Socket>();
  const state = { mode: 'ok' as SnapshotMode, requests: 0, refused: 0 };
  const server = http.createServer((req, res) => {
    if (!guard.check(req)) {
      state.refused += 1;
      return guard.challenge(res);
    }
    state.requests += 1;
    switch (state.mode) {
      case 'hang':
        return;
      case 'error':
        res.writeHead(500).end('camera busy');
        return;
      case 'not_jpeg':
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html>login</html>');
        return;
      case 'ok': {
        const body = o.jpeg();
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
        return;
      }
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/snapshot.jpg`,
    port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
