// One SOP file of a store: its plain-English account and rules (shadow mode), its YAML, its versions, a dry run on a clip.
import { useEffect, useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import type { Clip } from '../../../services/api/schemas/clip.ts';
import type { SopFile, SopFileBody } from '../../../services/api/schemas/sop-file.ts';
import type { DryRun, SopExplained } from '../../api-schemas.ts';
import { api, qs, seg } from '../api.ts';
import { lang, locale, t, tOr } from '../i18n/index.ts';
import { dateTime } from '../lib/format.ts';
import { layoutTimeline } from '../lib/timeline-model.ts';
import { setRuleShadow } from '../lib/yaml-rules.ts';
import { navigate, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { Explanation } from '../components/explanation.tsx';
import { SopEditor } from '../components/sop-editor.tsx';
import { TimelineView } from '../components/timeline.tsx';
import { ErrorNote, Loading, SeverityBadge, ruleTitle, toast } from '../components/ui.tsx';

const TABS = ['explain', 'yaml', 'versions', 'dryrun'] as const;
type Tab = (typeof TABS)[number];

export function SopDetail({ storeId, sopId, onChanged }: { storeId: string; sopId: string; onChanged: () => void }) {
  const s = useSession();
  const route = useRoute();
  const tab = (TABS as readonly string[]).includes(route.query.get('tab') ?? '') ? (route.query.get('tab') as Tab) : 'explain';
  const [versions, setVersions] = useState<SopFile[] | undefined>(undefined);
  const [body, setBody] = useState<Static<typeof SopFileBody> | undefined>(undefined);
  const [ex, setEx] = useState<SopExplained | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [editing, setEditing] = useState(false);
  const [reload, setReload] = useState(0);
  const base = `/api/stores/${seg(storeId)}/sops/${seg(sopId)}`;

  useEffect(() => {
    setError(undefined);
    api<SopFile[]>('GET', `${base}/versions`).then(async (vs) => {
      setVersions(vs);
      const shown = vs.find((v) => v.enabled) ?? vs[0];
      if (shown === undefined) return;
      const [b, e] = await Promise.all([api<Static<typeof SopFileBody>>('GET', `${base}${qs({ version: shown.version })}`), api<SopExplained>('GET', `${base}/explanation${qs({ version: shown.version })}`)]);
      setBody(b);
      setEx(e);
    }).catch(setError);
  }, [storeId, sopId, reload]);

  const go = (tb: Tab): void => navigate('/sops', { store: storeId, sop: sopId, tab: tb === 'explain' ? undefined : tb }, true);
  const changed = (): void => {
    setReload((n) => n + 1);
    onChanged();
  };
  const enable = (version: number | undefined, enabled: boolean): void => {
    api<SopFile>('PUT', `${base}/enablement`, { enabled, ...(version === undefined ? {} : { version }) }).then((f) => {
      toast(enabled ? t('sops.enabledVersion', { version: f.version }) : t('sops.disabledNow'), 'ok');
      changed();
    }, setError);
  };
  const shadow = (rule: string, on: boolean): void => {
    if (body === undefined) return;
    const out = setRuleShadow(body.yaml, rule, on);
    if (!out.ok) return setError(new Error(out.reason));
    api<{ sop: SopFile }>('POST', `/api/stores/${seg(storeId)}/sops`, { yaml: out.yaml, fileName: `${sopId}.yaml` }).then((r) => {
      toast(t('sops.savedVersion', { version: r.sop.version }), 'ok');
      changed();
    }, setError);
  };

  if (versions === undefined || body === undefined || ex === undefined) return error === undefined ? <Loading /> : <ErrorNote error={error} />;
  const inForce = versions.find((v) => v.enabled);
  return (
    <article class="sop-detail">
      <header class="detail-head">
        <button type="button" class="link back-link" onClick={() => navigate('/sops', {})}>{t('common.back')}</button>
        <div>
          <h2 data-user-text="">{lang === 'zh' ? ex.titleZh ?? ex.title : ex.title}</h2>
          <p class="muted"><span class="mono">{sopId}</span> · {s.storeName(storeId)} · {inForce ? t('sops.inForce', { version: inForce.version }) : t('sops.off')}</p>
        </div>
      </header>
      <nav class="tabs" role="tablist" aria-label={t('sops.sections')}>
        {TABS.map((tb) => <button key={tb} type="button" role="tab" aria-selected={tb === tab} class={tb === tab ? 'tab on' : 'tab'} onClick={() => go(tb)}>{t(`sops.tab.${tb}`)}</button>)}
      </nav>
      <ErrorNote error={error} />
      {tab === 'explain' && (
        <section role="tabpanel">
          <Explanation text={lang === 'zh' ? ex.explanationZh : ex.explanation} />
          <div class="table-scroll">
          <table class="table rules-table">
            <thead><tr><th>{t('sops.rule')}</th><th>{t('sops.kind')}</th><th>{t('sops.severity')}</th><th>{t('sops.mode')}</th></tr></thead>
            <tbody>
              {ex.rules.map((r) => (
                <tr key={r.rule}>
                  <td><strong data-user-text="">{ruleTitle(r)}</strong><br /><span class="mono muted" data-user-text="">{r.rule}</span></td>
                  <td>{tOr(`ruleKind.${r.kind}`, r.kind)}</td>
                  <td><SeverityBadge severity={r.severity} /></td>
                  <td>
                    {!r.enabled ? <span class="badge">{t('sops.ruleOff')}</span> : r.shadow ? <span class="badge shadow">{t('sops.shadow')}</span> : <span class="badge status-open">{t('sops.live')}</span>}
                    {s.canWrite && r.enabled && <button type="button" class="link small" onClick={() => shadow(r.rule, !r.shadow)}>{r.shadow ? t('sops.goLive') : t('sops.toShadow')}</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          <p class="muted fineprint">{t('sops.shadowNote')}</p>
        </section>
      )}
      {tab === 'yaml' && (
        <section role="tabpanel">
          {editing ? (
            <SopEditor storeId={storeId} initial={body.yaml} fileName={`${sopId}.yaml`} onCancel={() => setEditing(false)} onSaved={() => { setEditing(false); changed(); }} />
          ) : (
            <>
              <pre class="code" data-user-text="">{body.yaml.split('\n').map((l, i) => <span key={i} class="code-line"><span class="ln">{i + 1}</span>{l}{'\n'}</span>)}</pre>
              {s.canWrite && <button type="button" class="primary" onClick={() => setEditing(true)}>{t('sops.edit')}</button>}
            </>
          )}
        </section>
      )}
      {tab === 'versions' && (
        <section role="tabpanel">
          <table class="table">
            <thead><tr><th>{t('sops.version')}</th><th>{t('sops.uploadedAt')}</th><th>{t('sops.state')}</th><th /></tr></thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.id}>
                  <td>{t('zh14.version', { version: v.version })}</td>
                  <td>{dateTime(v.createdAt, locale, s.storeTz(storeId))}</td>
                  <td>{v.enabled ? <span class="badge status-open">{t('sops.enabled')}</span> : <span class="muted">—</span>}</td>
                  <td>{s.canWrite && (v.enabled ? <button type="button" onClick={() => enable(undefined, false)}>{t('sops.disable')}</button> : <button type="button" onClick={() => enable(v.version, true)}>{t('sops.enable')}</button>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {tab === 'dryrun' && <DryRunPanel storeId={storeId} yaml={body.yaml} sopId={sopId} />}
    </article>
  );
}

function DryRunPanel({ storeId, yaml, sopId }: { storeId: string; yaml: string; sopId: string }) {
  const s = useSession();
  const [clips, setClips] = useState<Clip[]>([]);
  const [clipId, setClipId] = useState('');
  const [result, setResult] = useState<DryRun | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    void api<Clip[]>('GET', `/api/clips${qs({ storeId, status: 'done', limit: 50 })}`).then((c) => {
      setClips(c);
      setClipId(c[0]?.id ?? '');
    }, setError);
  }, [storeId]);
  if (!s.canWrite) return <p class="notice">{t('sops.dryRunReadOnly')}</p>;
  const run = (): void => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    api<DryRun>('POST', `/api/stores/${seg(storeId)}/sops/dry-run`, { yaml, clipId, fileName: `${sopId}.yaml` }).then(setResult, setError).finally(() => setBusy(false));
  };
  return (
    <section role="tabpanel" class="dryrun">
      <p class="muted">{t('sops.dryRunLead')}</p>
      <div class="actions">
        <label class="field inline"><span>{t('sops.clip')}</span>
          <select value={clipId} onChange={(e) => setClipId(e.currentTarget.value)}>{clips.map((c) => <option key={c.id} value={c.id}>{c.filename} · {dateTime(c.createdAt, locale)}</option>)}</select>
        </label>
        <button type="button" class="primary" disabled={busy || clipId === ''} onClick={run}>{busy ? t('sops.dryRunning') : t('sops.dryRun')}</button>
      </div>
      <ErrorNote error={error} />
      {result !== undefined && (
        <>
          <p>{t('sops.dryRunResult', { violations: result.violations.length, reviews: result.needsReview.length, runs: result.runs.length })}</p>
          <p class="dryrun-changes">{t('sops.dryRunChanges', { confirmed: result.changes.confirmedGone.length, dismissed: result.changes.dismissedGone.length, added: result.changes.added.length, tolerance: result.changes.toleranceS })}</p>
          <TimelineView timeline={layoutTimeline({ durationS: result.durationS, rules: result.rules, violations: result.violations, reviews: result.needsReview, runs: result.runs })} />
        </>
      )}
    </section>
  );
}
