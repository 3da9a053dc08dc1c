// A YAML editor for SOP files: line numbers, a check without saving, and every problem linked to its line.
import { useRef, useState } from 'preact/hooks';
import type { SopFile } from '../../../services/api/schemas/sop-file.ts';
import type { SopExplained } from '../../api-schemas.ts';
import { api, ApiError, seg } from '../api.ts';
import { lang, t } from '../i18n/index.ts';
import { Explanation } from './explanation.tsx';
import { ErrorNote, serverSaid, toast } from './ui.tsx';

export function SopEditor({ storeId, initial, fileName, onSaved, onCancel }: {
  storeId: string; initial: string; fileName: string; onSaved: (sop: SopFile) => void; onCancel: () => void;
}) {
  const [yaml, setYaml] = useState(initial);
  const [error, setError] = useState<unknown>(undefined);
  const [checked, setChecked] = useState<SopExplained | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement | null>(null);
  const gutter = useRef<HTMLDivElement | null>(null);
  const lineCount = yaml.split('\n').length;
  const bad = new Set(error instanceof ApiError && Array.isArray(error.details) ? (error.details as Array<{ line?: number }>).map((d) => d.line ?? 0) : []);

  const goTo = (line: number, column: number): void => {
    const el = area.current;
    if (!el) return;
    const lines = yaml.split('\n');
    const offset = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0) + Math.max(0, column - 1);
    el.focus();
    el.setSelectionRange(offset, offset + Math.max(1, (lines[line - 1] ?? '').length - column + 1));
    const lh = parseFloat(getComputedStyle(el).lineHeight) || 20;
    el.scrollTop = Math.max(0, (line - 4) * lh);
  };

  const run = async (save: boolean): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setChecked(undefined);
    try {
      if (save) {
        const r = await api<{ sop: SopFile; warnings: string[] }>('POST', `/api/stores/${seg(storeId)}/sops`, { yaml, fileName });
        toast(t('sops.savedVersion', { version: r.sop.version }), 'ok');
        for (const w of r.warnings) toast(serverSaid(w), 'warn');
        onSaved(r.sop);
      } else {
        setChecked(await api<SopExplained>('POST', `/api/stores/${seg(storeId)}/sops/explanation`, { yaml, fileName }));
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="sop-editor">
      <div class="code-edit">
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => <span key={i} class={bad.has(i + 1) ? 'bad' : ''}>{i + 1}</span>)}
        </div>
        <textarea ref={area} spellcheck={false} aria-label={t('sops.yamlLabel')} value={yaml} wrap="off"
          onInput={(e) => setYaml(e.currentTarget.value)} onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop; }} />
      </div>
      <ErrorNote error={error} onLine={goTo} />
      {checked !== undefined && <div class="ok-note" role="status"><p>{t('sops.valid', { rules: checked.rules.length })}</p><Explanation text={lang === 'zh' ? checked.explanationZh : checked.explanation} /></div>}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void run(false)}>{t('sops.check')}</button>
        <button type="button" class="primary" disabled={busy} onClick={() => void run(true)}>{t('sops.saveVersion')}</button>
        <button type="button" class="link" onClick={onCancel}>{t('common.cancel')}</button>
      </div>
    </div>
  );
}
