// Live events fanned out inside the page: the app opens one stream, pages subscribe to what they show.
import { useEffect, useRef } from 'preact/hooks';
import type { LiveEvent } from './api.ts';

const listeners = new Set<(e: LiveEvent) => void>();

export function emitLive(e: LiveEvent): void {
  for (const l of listeners) l(e);
}

/** The newest handler is always the one called, without resubscribing on every render. */
export function useLive(handler: (e: LiveEvent) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const l = (e: LiveEvent): void => ref.current(e);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
}
