// A tiny HTTP client of the sopwatch API for chaos tests: sign-in, JSON calls and clip uploads, each with a deadline.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  /** Wall time of the call. */
  ms: number;
}

export class ApiClient {
  private cookie = '';
  private csrf = '';

  constructor(readonly base: string, private readonly timeoutMs = 15_000) {}

  /** A client of another API process sharing this one's session (same database). */
  on(base: string): ApiClient {
    const other = new ApiClient(base, this.timeoutMs);
    other.cookie = this.cookie;
    other.csrf = this.csrf;
    return other;
  }

  async login(email: string, password: string): Promise<void> {
    const res = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
    this.cookie = (res.headers.getSetCookie().find((c) => c.startsWith('sopwatch_session=')) ?? '').split(';')[0] ?? '';
    this.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
  }

  /** One call; a call that takes longer than the deadline throws (a hang is a failure, never a wait). */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const t0 = performance.now();
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { cookie: this.cookie, 'x-csrf-token': this.csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T, ms: performance.now() - t0 };
  }

  /**
   * A resumable (tus) upload of `file` in `chunks` PATCHes spread over `spreadMs` (a slow link: the first right after
   * the creation, the last at `spreadMs`); the answer of the last one, with the clip's id from Sopwatch-Clip-Id.
   */
  async tusUpload(storeId: string, cameraId: string, file: string, spreadMs: number, chunks = 8): Promise<Answer<{ clip?: { id: string }; error?: string }>> {
    const bytes = await readFile(file);
    const t0 = performance.now();
    const headers = { cookie: this.cookie, 'x-csrf-token': this.csrf, 'tus-resumable': '1.0.0' };
    const made = await fetch(`${this.base}/api/stores/${storeId}/uploads?cameraId=${cameraId}`, {
      method: 'POST',
      headers: { ...headers, 'upload-length': String(bytes.length), 'upload-metadata': `filename ${Buffer.from(basename(file)).toString('base64')}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const location = made.headers.get('location');
    if (made.status !== 201 || location === null) return { status: made.status, body: { error: await made.text() }, ms: performance.now() - t0 };
    const size = Math.ceil(bytes.length / chunks);
    let last: Response | undefined;
    for (let i = 0, offset = 0; offset < bytes.length; i++, offset += size) {
      const due = t0 + (spreadMs * i) / Math.max(chunks - 1, 1);
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      last = await fetch(`${this.base}${location}`, {
        method: 'PATCH',
        headers: { ...headers, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        body: bytes.subarray(offset, offset + size),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (last.status !== 204) return { status: last.status, body: { error: await last.text() }, ms: performance.now() - t0 };
    }
    const clipId = last?.headers.get('sopwatch-clip-id') ?? undefined;
    return { status: last?.status ?? 0, body: clipId === undefined ? {} : { clip: { id: clipId } }, ms: performance.now() - t0 };
  }

  async upload(storeId: string, cameraId: string, file: string): Promise<Answer<{ clip?: { id: string }; queued?: boolean; error?: string }>> {
    const form = new FormData();
    form.append('file', new Blob([await readFile(file)], { type: 'video/mp4' }), basename(file));
    const t0 = performance.now();
    const res = await fetch(`${this.base}/api/stores/${storeId}/clips?cameraId=${cameraId}`, {
      method: 'POST',
      headers: { cookie: this.cookie, 'x-csrf-token': this.csrf },
      body: form,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await res.json()) as { clip?: { id: string }; queued?: boolean; error?: string };
    return { status: res.status, body, ms: performance.now() - t0 };
  }

  /** The caller's first store, a camera in it and the SOP enabled for every camera. */
  async setupStore(sopYaml: string): Promise<{ storeId: string; cameraId: string }> {
    const stores = await this.call<Array<{ id: string }>>('GET', '/api/stores');
    const storeId = stores.body[0]?.id;
    if (storeId === undefined) throw new Error(`no store: ${JSON.stringify(stores.body)}`);
    const camera = await this.call<{ id: string }>('POST', `/api/stores/${storeId}/cameras`, { name: 'counter-1' });
    if (camera.status !== 201) throw new Error(`camera: ${camera.status} ${JSON.stringify(camera.body)}`);
    const sop = await this.call('POST', `/api/stores/${storeId}/sops`, { yaml: sopYaml });
    if (sop.status !== 201) throw new Error(`sop: ${sop.status} ${JSON.stringify(sop.body)}`);
    return { storeId, cameraId: camera.body.id };
  }
}
