// The alerts queue's keyboard. One listener for the page's life reads the newest state from a ref: a fast typist's
// next key can arrive before an effect would have re-subscribed with fresh values.
import { useEffect, useRef } from 'preact/hooks';

export interface QueueKeys {
  help: boolean;
  toggleHelp(open?: boolean): void;
  dismissing: boolean;
  setDismissing(open: boolean): void;
  /** The list element: arrow keys move only while it has the focus. */
  list: HTMLElement | null;
  move(step: 1 | -1): void;
  hasSelection: boolean;
  confirm(): void;
  startDismiss(): void;
  /** 1-4: the reasons in the order the form lists them. */
  dismissWith(n: number): void;
  focusComment(): boolean;
  openClip(): boolean;
}

const typing = (e: KeyboardEvent): boolean => {
  const el = e.target as HTMLElement | null;
  return el !== null && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
};

function handle(e: KeyboardEvent, k: QueueKeys): boolean {
  if (e.key === 'Escape') {
    if (k.help) k.toggleHelp(false);
    else if (k.dismissing) k.setDismissing(false);
    else if (typing(e)) (e.target as HTMLElement).blur();
    else return false;
    return true;
  }
  const digit = /^[1-4]$/.test(e.key);
  if (typing(e) && !(k.dismissing && digit)) return false;
  if (e.key === '?') k.toggleHelp();
  else if (k.help) return false;
  else if (e.key === 'j' || (e.key === 'ArrowDown' && e.target === k.list)) k.move(1);
  else if (e.key === 'k' || (e.key === 'ArrowUp' && e.target === k.list)) k.move(-1);
  else if (!k.hasSelection) return false;
  else if (e.key === 'c') k.confirm();
  else if (e.key === 'd') k.startDismiss();
  else if (e.key === 'm') return k.focusComment();
  else if (digit && k.dismissing) k.dismissWith(Number(e.key));
  else if (e.key === 'o') return k.openClip();
  else return false;
  return true;
}

export function useQueueKeys(keys: QueueKeys): void {
  const latest = useRef(keys);
  latest.current = keys;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (handle(e, latest.current)) e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}
