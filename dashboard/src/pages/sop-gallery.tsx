// The SOP library (sop-rules/, served read-only by the API): pick a file, set the values people change (the camera,
// durations, severities, schedules) in a form, and the server writes the YAML; the YAML editor then checks it with the
// SOP loader (positioned errors) and saves it in the store. The zones are drawn next, on the camera's latest picture.
import { useEffect, useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import type { GalleryEntry, GalleryFillBody, GalleryRule } from '../../../services/api/schemas/sop-gallery.ts';
import { api, seg } from '../api.ts';
import { lang, t, tOr } from '../i18n/index.ts';
import { href, navigate, onLink, useRoute } from '../router.ts';
import { useSession } from '../session.tsx';
import { StorePicker } from '../components/camera-add.tsx';
import { Explanation } from '../components/explanation.tsx';
import { SopEditor } from '../components/sop-editor.tsx';
import { Empty, ErrorNote, Loading } from '../components/ui.tsx';

type Rule = Static<typeof GalleryRule>;
type Values = NonNullable<GalleryFillBody['rules']>;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DURATIONS = ['min', 'max', 'for', 'max_gap', 'within'] as const;
/** A title from the file in the viewer's language: `title_zh` for Chinese readers when the file gives one. */
const titled = (x: { title: string; titleZh: string | null }): string => (lang === 'zh' ? x.titleZh ?? x.title : x.title);

function RuleFields({ rule, value, onChange }: { rule: Rule; value: Values[string]; onChange: (v: Values[string]) => void }) {
  const durations = { ...rule.durations, ...value.durations };
  const schedule = value.schedule === undefined ? rule.schedule : value.schedule;
  return (
    <fieldset class="rule-values" data-rule={rule.id}>
      <legend>{titled(rule)}</legend>
      <label class="field inline"><span>{t('sops.severity')}</span>
        <select name={`${rule.id}.severity`} value={value.severity ?? rule.severity} onChange={(e) => onChange({ ...value, severity: e.currentTarget.value as Rule['severity'] })}>
          {(['low', 'medium', 'high'] as const).map((sv) => <option key={sv} value={sv}>{tOr(`severity.${sv}`, sv)}</option>)}
        </select>
      </label>
      {DURATIONS.filter((k) => rule.durations[k] !== undefined).map((k) => (
        <label key={k} class="field inline"><span>{t(`onboard.dur.${k}`)}</span>
          <input name={`${rule.id}.${k}`} value={durations[k] ?? ''} maxLength={20} placeholder={t('onboard.durHint')} size={8}
            onInput={(e) => onChange({ ...value, durations: { ...value.durations, [k]: e.currentTarget.value.trim() } })} />
        </label>
      ))}
      {schedule !== null && (
        <div class="schedule">
          <span class="muted">{t('onboard.schedule')}</span>
          <div class="days">
            {DAYS.map((d) => (
              <label key={d} class="radio"><input type="checkbox" name={`${rule.id}.day.${d}`} checked={(schedule.days ?? DAYS).includes(d)}
                onChange={(e) => {
                  const on = new Set(schedule.days ?? DAYS);
                  if (e.currentTarget.checked) on.add(d);
                  else on.delete(d);
                  onChange({ ...value, schedule: { ...schedule, days: on.size === 0 ? null : DAYS.filter((x) => on.has(x)) } });
                }} /> {t(`onboard.day.${d}`)}</label>
            ))}
          </div>
          <label class="field inline"><span>{t('onboard.scheduleFrom')}</span><input type="time" name={`${rule.id}.from`} value={schedule.from.padStart(5, '0')} onInput={(e) => onChange({ ...value, schedule: { ...schedule, from: e.currentTarget.value } })} /></label>
          <label class="field inline"><span>{t('onboard.scheduleTo')}</span><input type="time" name={`${rule.id}.to`} value={schedule.to.padStart(5, '0')} onInput={(e) => onChange({ ...value, schedule: { ...schedule, to: e.currentTarget.value } })} /></label>
        </div>
      )}
    </fieldset>
  );
}

function GalleryForm({ storeId, entry }: { storeId: string; entry: GalleryEntry }) {
  const s = useSession();
  const cameras = s.session.cameras.filter((c) => c.storeId === storeId);
  const [cameraId, setCameraId] = useState(cameras.length === 1 ? (cameras[0]?.id ?? '') : '');
  const [values, setValues] = useState<Values>({});
  const [yaml, setYaml] = useState<{ yaml: string; fileName: string } | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const camera = cameras.find((c) => c.id === cameraId);

  const write = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Only what the person changed is sent; empty duration boxes keep the file's value.
      const rules = Object.fromEntries(Object.entries(values).map(([id, v]) => [id, {
        ...v, ...(v.durations === undefined ? {} : { durations: Object.fromEntries(Object.entries(v.durations).filter(([, d]) => d !== undefined && d !== '')) }),
      }]));
      const body: GalleryFillBody = { file: entry.name, ...(camera === undefined ? {} : { camera: camera.name }), rules };
      setYaml(await api<{ yaml: string; fileName: string }>('POST', `/api/stores/${seg(storeId)}/sop-gallery/fill`, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (yaml !== undefined) {
    return (
      <section class="gallery-yaml">
        <p class="lead">{t('onboard.yamlNote')}</p>
        <SopEditor key={yaml.yaml} storeId={storeId} initial={yaml.yaml} fileName={yaml.fileName} onCancel={() => setYaml(undefined)}
          onSaved={() => navigate(camera === undefined ? '/sops' : '/cameras', camera === undefined ? {} : { camera: camera.id })} />
        <button type="button" class="link" onClick={() => setYaml(undefined)}>{t('onboard.backToForm')}</button>
      </section>
    );
  }
  return (
    <form class="gallery-form" aria-label={t('onboard.formTitle', { title: titled(entry) })} onSubmit={(e) => void write(e)}>
      <h2>{t('onboard.formTitle', { title: titled(entry) })}</h2>
      <details><summary>{t('onboard.checks')}</summary><Explanation text={lang === 'zh' ? entry.explanationZh : entry.explanation} /></details>
      {cameras.length === 0 ? (
        <p class="notice">{t('onboard.noCameraInStore')} <a href={href('/cameras', { add: '1' })} onClick={onLink}>{t('onboard.addCamera')}</a></p>
      ) : (
        <label class="field"><span>{t('onboard.forCamera')}</span>
          <select name="camera" required value={cameraId} onChange={(e) => setCameraId(e.currentTarget.value)}>
            <option value="" disabled>{t('onboard.pickCamera')}</option>
            {cameras.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </label>
      )}
      {entry.rules.map((r) => <RuleFields key={r.id} rule={r} value={values[r.id] ?? {}} onChange={(v) => setValues((all) => ({ ...all, [r.id]: v }))} />)}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || cameras.length === 0}>{t('onboard.writeYaml')}</button>
        <a class="button" href={href('/sops', { gallery: '1', store: storeId })} onClick={onLink}>{t('common.back')}</a>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

export function SopGallery() {
  const s = useSession();
  const route = useRoute();
  const storeId = route.query.get('store') ?? (s.scope.length === 1 ? (s.scope[0]?.id ?? '') : '');
  const file = route.query.get('file') ?? '';
  const [entries, setEntries] = useState<GalleryEntry[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    if (storeId === '') return;
    setError(undefined);
    api<GalleryEntry[]>('GET', `/api/stores/${seg(storeId)}/sop-gallery`).then(setEntries, setError);
  }, [storeId]);

  const head = (
    <header class="page-head">
      <h1>{t('onboard.gallery')}</h1>
      <p class="lead">{t('onboard.galleryLead')}{storeId !== '' && s.session.stores.length > 1 ? ` (${s.storeName(storeId)})` : ''}</p>
    </header>
  );
  if (storeId === '') {
    return (
      <main class="page" id="main">
        {head}
        <StorePicker value="" label={t('onboard.newWhichStore')} onChange={(id) => navigate('/sops', { gallery: '1', store: id })} />
      </main>
    );
  }
  const entry = entries?.find((e) => e.name === file);
  return (
    <main class="page" id="main">
      {head}
      <ErrorNote error={error} />
      {entries === undefined && error === undefined && <Loading />}
      {entry !== undefined ? <GalleryForm key={entry.name} storeId={storeId} entry={entry} /> : entries !== undefined && (
        entries.length === 0 ? <Empty title={t('sops.empty')} /> : (
          <ul class="gallery">
            {entries.map((e) => (
              <li key={e.name} class="card" data-file={e.name}>
                <h2>{titled(e)}</h2>
                {e.description !== null && <p data-user-text="">{e.description}</p>}
                <details><summary>{t('onboard.checks')}</summary><Explanation text={lang === 'zh' ? e.explanationZh : e.explanation} /></details>
                <p class="muted">{t('onboard.zonesIn', { zones: e.zones.join(lang === 'zh' ? '、' : ', ') })}</p>
                <div class="actions"><a class="button primary" href={href('/sops', { gallery: '1', store: storeId, file: e.name })} onClick={onLink}>{t('onboard.useFile')}</a></div>
              </li>
            ))}
          </ul>
        )
      )}
    </main>
  );
}
