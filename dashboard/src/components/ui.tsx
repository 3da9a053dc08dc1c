// Small shared pieces: badges, progress bars, empty states, error notes, toasts.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { lang, t, tOr } from '../i18n/index.ts';

export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{tOr(`severity.${severity}`, severity)}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{tOr(`status.${status}`, status)}</span>;
}

export function Progress({ value, label, tone }: { value: number; label: string; tone?: 'busy' | 'done' | 'failed' }) {
  const pct = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div class={`progress ${tone ?? ''}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div class="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

/** A sentence naming keyboard keys, written `[j]` in the dictionaries: each key shown as a key cap, never translated. */
export function KeyHint({ text }: { text: string }) {
  return <>{text.split(/\[([^\]]+)\]/).map((part, i) => (i % 2 === 1 ? <kbd key={i} class="key-name">{part}</kbd> : part))}</>;
}

/**
 * Words the server wrote in English (an analysis error, why a camera was not watched, a warning): as they are for
 * English readers; for others labelled as the server's own words, after a sentence of ours where there is one.
 */
export function ServerText({ text }: { text: string }) {
  if (lang === 'en') return <>{text}</>;
  return <><span class="muted">{t('zh14.serverSaid')}</span><span class="server-text" lang="en" data-server-text="">{text}</span></>;
}

/** ServerText as a plain string (toasts, Error messages). */
export const serverSaid = (text: string): string => (lang === 'en' ? text : `${t('zh14.serverSaid')}${text}`);

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children !== undefined && <div class="empty-body">{children}</div>}
    </div>
  );
}

export function Loading() {
  return <p class="loading" role="status">{t('common.loading')}</p>;
}

interface SopProblem { line: number; column: number; message: string }

function problems(details: unknown): SopProblem[] {
  if (!Array.isArray(details)) return [];
  return details.filter((d): d is SopProblem => typeof d === 'object' && d !== null && typeof (d as SopProblem).line === 'number');
}

/** An API error in words; SOP problems listed with their line, each a button when `onLine` can take the reader there. */
export function ErrorNote({ error, onLine }: { error: unknown; onLine?: (line: number, column: number) => void }) {
  if (error === undefined || error === null) return null;
  const words = error instanceof ApiError ? errorWords(error) : { text: error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error) };
  const list = error instanceof ApiError ? problems(error.details) : [];
  // The server writes its details in English: in another language they are shown as its own words, labelled.
  const server = (text: string) => (lang === 'en' ? text : <span class="server-text" lang="en" data-server-text="">{text}</span>);
  return (
    <div class="error-note" role="alert">
      <p>{words.text}{words.server !== undefined && <> <span class="muted">{t('zh14.serverSaid')}</span>{server(words.server)}</>}</p>
      {list.length > 0 && (
        <ol class="problems">
          {list.map((p) => (
            <li key={`${p.line}:${p.column}:${p.message}`}>
              {onLine ? (
                <button type="button" class="link" onClick={() => onLine(p.line, p.column)}>{t('sops.atLine', { line: p.line, column: p.column })}</button>
              ) : (
                <span class="mono">{t('sops.atLine', { line: p.line, column: p.column })}</span>
              )}{' '}
              {server(p.message)}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * An API error in the reader's words: our sentence for its status or code and, where the server's (English) message
 * says more, that message apart (`server`), for the reader to see as the server's words.
 */
export function errorWords(e: ApiError): { text: string; server?: string } {
  switch (e.status) {
    case 0: return { text: t('error.network') };
    case 401: return { text: t('error.signedOut') };
    case 403:
      if (e.message.includes('auditor')) return { text: t('error.readOnly') };
      return lang === 'en' ? { text: t('error.forbidden', { message: e.message }) } : { text: t('zh14.error.forbidden'), server: e.message };
    case 404: return { text: t('error.notFound') };
    case 429: return { text: t('error.rateLimited') };
    default: return lang === 'en' ? { text: e.message } : { text: tOr(`zh14.error.${e.code}`, t('zh14.error.other')), server: e.message };
  }
}

export function errorMessage(e: ApiError): string {
  const w = errorWords(e);
  return w.server === undefined ? w.text : `${w.text} ${t('zh14.serverSaid')}${w.server}`;
}

/** A button on a toast, e.g. Undo: pressing it runs `run` and closes the toast. */
export interface ToastAction { label: string; run: () => void }
type Toast = { id: number; text: string; tone: 'info' | 'ok' | 'warn'; action?: ToastAction };
const toastListeners = new Set<(t: Toast[]) => void>();
let toasts: Toast[] = [];
let nextId = 1;

function setToasts(next: Toast[]): void {
  toasts = next;
  for (const l of toastListeners) l(toasts);
}

/**
 * A short message at the edge of the screen, also read out by screen readers. One with an action (Undo) stays
 * longer, UNDO_MS, so that there is time to press it.
 */
export function toast(text: string, tone: Toast['tone'] = 'info', action?: ToastAction): void {
  const item: Toast = { id: nextId++, text, tone, ...(action === undefined ? {} : { action }) };
  setToasts([...toasts.slice(-3), item]);
  setTimeout(() => setToasts(toasts.filter((x) => x.id !== item.id)), action === undefined ? 5000 : UNDO_MS);
}

/** How long an Undo stays on screen (the server accepts an undo for two minutes). */
export const UNDO_MS = 10_000;

export function Toasts() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => {
      toastListeners.delete(setList);
    };
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((x) => (
        <div key={x.id} class={`toast toast-${x.tone}`}>
          <span>{x.text}</span>
          {x.action !== undefined && (
            <button type="button" class="toast-action" onClick={() => {
              setToasts(toasts.filter((y) => y.id !== x.id));
              x.action?.run();
            }}>{x.action.label}</button>
          )}
        </div>
      ))}
    </div>
  );
}

/** What people call a violation's rule: its title in the SOP file (`title_zh` for Chinese readers), else its id made readable. */
export const ruleTitle = (v: { rule: string; title: string | null; titleZh?: string | null }): string =>
  (lang === 'zh' ? v.titleZh ?? null : null) ?? v.title ?? prettyId(v.rule);

/** A rule id as a title while the SOP's own title is not known: "till-staffed" -> "Till staffed". */
export function prettyId(id: string): string {
  const s = id.replace(/[-_]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An evidence image the server no longer has (retention, a failed render): hidden rather than shown broken. */
export function hideBroken(e: Event): void {
  (e.currentTarget as HTMLElement).hidden = true;
}
