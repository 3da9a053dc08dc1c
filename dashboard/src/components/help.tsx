// The keyboard shortcuts of the alerts queue, opened with "?".
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n/index.ts';

const KEYS = [
  ['j', 'help.next'], ['k', 'help.previous'], ['c', 'help.confirm'], ['d', 'help.dismiss'], ['1–4', 'help.reason'],
  ['m', 'help.comment'], ['o', 'help.openClip'], ['Esc', 'help.escape'], ['?', 'help.toggle'],
] as const;

export function HelpDialog({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => before?.focus();
  }, []);
  return (
    <div class="scrim" onClick={onClose}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title">{t('help.title')}</h2>
        <dl class="keys">
          {KEYS.map(([key, what]) => (
            <div key={key}><dt><kbd>{key}</kbd></dt><dd>{t(what)}</dd></div>
          ))}
        </dl>
        <p class="muted">{t('help.note')}</p>
        <button ref={close} type="button" class="primary" onClick={onClose}>{t('common.close')}</button>
      </div>
    </div>
  );
}
