// The dashboard's only door to the server: JSON calls with the CSRF header, clip uploads with progress, live events.
import type { ErrorBody } from '../../services/api/schemas/common.ts';

/** An answer other than 2xx: the API's stable `code`, its message, and details such as SOP errors with line numbers. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when any call answers 401: the session ended (signed out elsewhere, expired, revoked). */
export function onSessionEnded(handler: () => void): void {
  onSignedOut = handler;
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new ApiError(res.status, body.error ?? `http_${res.status}`, body.message ?? res.statusText, body.details);
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (err) {
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) {
    const err = await errorOf(res);
    // Asking "who am I" or signing in with a wrong password is no ended session.
    if (res.status === 401 && !path.startsWith('/api/auth/')) onSignedOut();
    throw err;
  }
  return (await res.json()) as T;
}

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** Violation ids contain `/`: every path segment built from an id goes through this. */
export const seg = (id: string): string => encodeURIComponent(id);

export interface Upload<T> {
  done: Promise<T>;
  abort(): void;
}

/** XHR, not fetch: only XHR reports upload progress. `onProgress` gets 0..1 of the bytes sent. */
export function uploadFile<T>(url: string, file: File, onProgress: (fraction: number, sent: number, total: number) => void): Upload<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', url);
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total, e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      const body = (xhr.response ?? {}) as Partial<ErrorBody>;
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as T);
      else {
        if (xhr.status === 401) onSignedOut();
        reject(new ApiError(xhr.status, body.error ?? `http_${xhr.status}`, body.message ?? xhr.statusText, body.details));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'the upload was interrupted')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'the upload was cancelled')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

export type LiveEvent =
  | { type: 'clip.progress'; data: { storeId: string; clipId: string; status: string; progress: number } }
  | { type: 'violation.created'; data: { storeId: string; violationId: string; cameraId: string; clipId: string | null; sop: string; rule: string; kind: string; severity: string } };

/**
 * One EventSource for the whole app (the browser reconnects by itself; the server says `retry: 3000`).
 * `onState` tells whether the stream is open, so the header can say "live" or "reconnecting".
 */
export function openLiveEvents(onEvent: (e: LiveEvent) => void, onState: (open: boolean) => void): () => void {
  const source = new EventSource('/api/events', { withCredentials: true });
  const parse = (type: LiveEvent['type']) => (m: MessageEvent<string>) => {
    try {
      onEvent({ type, data: JSON.parse(m.data) });
    } catch {
      // A malformed event is skipped; the next list refresh shows the truth anyway.
    }
  };
  source.addEventListener('clip.progress', parse('clip.progress'));
  source.addEventListener('violation.created', parse('violation.created'));
  source.addEventListener('open', () => onState(true));
  source.addEventListener('error', () => onState(source.readyState === EventSource.OPEN));
  return () => source.close();
}
