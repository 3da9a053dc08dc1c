// The dashboard's only door to the server: JSON calls with the CSRF header, resumable clip uploads (tus), live events.
import { Upload as TusUpload, type DetailedError, type PreviousUpload } from 'tus-js-client';
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

export interface Upload {
  /** The id of the clip the finished upload became. */
  done: Promise<string>;
  abort(): void;
}

/** An upload of this very file (name, type, size, modification time, camera) that stopped before its end. */
export interface UnfinishedUpload {
  previous: PreviousUpload;
  /** Bytes the server already has (its Upload-Offset). */
  offset: number;
  size: number;
  startedAt: string;
}

const uploadEndpoint = (storeId: string, cameraId: string): string => `${location.origin}/api/stores/${seg(storeId)}/uploads${qs({ cameraId })}`;

/** tus's error with the server's `{ error, message }` when it sent one. */
function uploadError(err: Error): ApiError {
  const res = (err as DetailedError).originalResponse;
  if (res === null || res === undefined) return new ApiError(0, 'network', 'the upload was interrupted');
  const status = res.getStatus();
  if (status === 401) onSignedOut();
  try {
    const body = JSON.parse(res.getBody()) as Partial<ErrorBody>;
    return new ApiError(status, body.error ?? `http_${status}`, body.message ?? err.message, body.details);
  } catch {
    return new ApiError(status, `http_${status}`, err.message);
  }
}

function tusUpload(storeId: string, cameraId: string, file: File, recordedAt: string, onProgress: (sent: number, total: number) => void, settle: { resolve: (clipId: string) => void; reject: (e: unknown) => void }): TusUpload {
  let clipId = '';
  return new TusUpload(file, {
    endpoint: uploadEndpoint(storeId, cameraId),
    metadata: { filename: file.name, filetype: file.type, ...(recordedAt === '' ? {} : { recordedAt }) },
    headers: { 'x-csrf-token': csrfToken },
    // The file goes in one request; after a drop the client asks the server for its offset and sends the rest.
    retryDelays: [0, 1000, 3000, 5000, 10000],
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    onProgress,
    onAfterResponse: (_req, res) => {
      clipId = res.getHeader('Sopwatch-Clip-Id') ?? clipId;
    },
    onSuccess: () => (clipId === '' ? settle.reject(new ApiError(0, 'network', 'the upload ended without a clip')) : settle.resolve(clipId)),
    onError: (err) => settle.reject(uploadError(err)),
  });
}

/**
 * A resumable upload (tus): progress as bytes the server has, and after a reload or a dropped connection it goes on from
 * there. `resume` is an unfinished upload of the same file found by `unfinishedUpload`.
 */
export function uploadClip(storeId: string, cameraId: string, file: File, recordedAt: string, onProgress: (fraction: number, sent: number, total: number) => void, resume?: UnfinishedUpload): Upload {
  let upload: TusUpload | undefined;
  const done = new Promise<string>((resolve, reject) => {
    upload = tusUpload(storeId, cameraId, file, recordedAt, (sent, total) => onProgress(total === 0 ? 0 : sent / total, sent, total), { resolve, reject });
    if (resume !== undefined) upload.resumeFromPreviousUpload(resume.previous);
    upload.start();
  });
  return { done, abort: () => void upload?.abort(true) };
}

/** The newest unfinished upload of this file to this camera that the server still has, with how far it got. */
export async function unfinishedUpload(storeId: string, cameraId: string, file: File): Promise<UnfinishedUpload | undefined> {
  const probe = tusUpload(storeId, cameraId, file, '', () => undefined, { resolve: () => undefined, reject: () => undefined });
  const found = (await probe.findPreviousUploads()).sort((a, b) => b.creationTime.localeCompare(a.creationTime));
  for (const previous of found) {
    const url = previous.uploadUrl;
    if (url === null) continue;
    const res = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' }, credentials: 'same-origin' }).catch(() => undefined);
    const offset = Number(res?.headers.get('upload-offset') ?? NaN);
    if (res?.ok === true && Number.isFinite(offset) && offset < file.size) return { previous, offset, size: file.size, startedAt: previous.creationTime };
  }
  return undefined;
}

/** Unfinished uploads this browser remembers (after a reload the file must be chosen again to go on). */
export function rememberedUploads(): Array<{ name: string; size: number }> {
  const out: Array<{ name: string; size: number }> = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (key === null || !key.startsWith('tus::')) continue;
    try {
      const v = JSON.parse(localStorage.getItem(key) ?? '{}') as { size?: number; metadata?: { filename?: string } };
      if (typeof v.metadata?.filename === 'string' && typeof v.size === 'number') out.push({ name: v.metadata.filename, size: v.size });
    } catch {
      // Not ours, or damaged: ignored.
    }
  }
  return out;
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
