// The words of notifications in each language sopwatch writes (English, Simplified Chinese), and which language a
// store's messages use. Names (stores, cameras, SOP and rule ids, file names) are never translated.
import type { NotifyConfig, NotifyLanguage } from '../core/config.ts';
import type { Severity } from '../core/contracts.ts';

export type { NotifyLanguage } from '../core/config.ts';

export interface MessageWords {
  store: string;
  camera: string;
  sopRule: string;
  step: string;
  kind: string;
  severity: string;
  time: string;
  severityWord(s: Severity): string;
  kindWord(kind: string): string;
  /** `[HIGH] store · camera — what`. */
  violationTitle(severity: Severity, store: string, camera: string, what: string): string;
  held(n: number): string;
  escalationTitle(minutes: number, severity: Severity, store: string, camera: string, what: string): string;
  escalationText(severity: Severity): string;
  uploadedClip(fromS: string, toS: string, analysed: string): string;
  digestTitle(store: string, shiftEnd: string): string;
  violations: string;
  violationsValue(total: number, high: number, medium: number, low: number): string;
  awaiting: string;
  awaitingValue(unreviewed: number, doubtful: number): string;
  heldBack: string;
  mostFrequent: string;
  none: string;
  ruleSeparator: string;
  noViolations: string;
  openDashboard: string;
  /** The label of the link to the dashboard. */
  open: string;
  /** Between a fact's label and its value. */
  colon: string;
}

const KIND_ZH: Record<string, string> = {
  too_short: '时间过短', too_long: '时间过长', forbidden: '禁止行为', gap: '无人值守', missing_step: '缺少步骤',
  out_of_order: '顺序错误', timeout: '未按时完成', verify_failed: '核验未通过',
};
const SEVERITY_ZH: Record<Severity, string> = { high: '高', medium: '中', low: '低' };

export const WORDS: Record<NotifyLanguage, MessageWords> = {
  en: {
    store: 'Store', camera: 'Camera', sopRule: 'SOP / rule', step: 'Step', kind: 'Kind', severity: 'Severity', time: 'Time',
    severityWord: (s) => s,
    kindWord: (k) => k.replace(/_/g, ' '),
    violationTitle: (sev, store, camera, what) => `[${sev.toUpperCase()}] ${store} · ${camera} — ${what}`,
    held: (n) => `(+${n} similar on this camera held back by the cooldown since the last message)`,
    escalationTitle: (min, sev, store, camera, what) => `Unreviewed for ${min} min: [${sev.toUpperCase()}] ${store} · ${camera} — ${what}`,
    escalationText: (sev) => `Nobody has confirmed or dismissed this ${sev}-severity violation yet.`,
    uploadedClip: (from, to, analysed) => `uploaded clip, ${from}–${to} s (analysed ${analysed})`,
    digestTitle: (store, end) => `Shift summary — ${store}, shift ending ${end}`,
    violations: 'Violations',
    violationsValue: (t, h, m, l) => `${t} (high ${h}, medium ${m}, low ${l})`,
    awaiting: 'Awaiting review',
    awaitingValue: (u, d) => `${u} (of which doubtful: ${d})`,
    heldBack: 'Held back by cooldown',
    mostFrequent: 'Most frequent',
    none: 'none',
    ruleSeparator: '; ',
    noViolations: 'No violations were recorded in this shift.',
    openDashboard: 'Open the dashboard to review them.',
    open: 'Open in sopwatch',
    colon: ': ',
  },
  'zh-CN': {
    store: '门店', camera: '摄像头', sopRule: 'SOP / 规则', step: '步骤', kind: '类型', severity: '严重程度', time: '时间',
    severityWord: (s) => SEVERITY_ZH[s],
    kindWord: (k) => KIND_ZH[k] ?? k,
    violationTitle: (sev, store, camera, what) => `【${SEVERITY_ZH[sev]}】${store} · ${camera} — ${what}`,
    held: (n) => `（自上条消息以来，此摄像头另有 ${n} 条类似提醒因冷却时间未发送）`,
    escalationTitle: (min, sev, store, camera, what) => `已 ${min} 分钟无人处理：【${SEVERITY_ZH[sev]}】${store} · ${camera} — ${what}`,
    escalationText: (sev) => `这条严重程度为“${SEVERITY_ZH[sev]}”的违规还没有人确认或驳回。`,
    uploadedClip: (from, to, analysed) => `上传的视频 ${from}–${to} 秒（分析于 ${analysed}）`,
    digestTitle: (store, end) => `班次汇总 — ${store}，班次结束于 ${end}`,
    violations: '违规',
    violationsValue: (t, h, m, l) => `${t}（高 ${h}，中 ${m}，低 ${l}）`,
    awaiting: '待复核',
    awaitingValue: (u, d) => `${u}（其中存疑：${d}）`,
    heldBack: '因冷却时间未发送',
    mostFrequent: '最常见',
    none: '无',
    ruleSeparator: '；',
    noViolations: '本班次没有记录到违规。',
    openDashboard: '请打开控制台复核。',
    open: '在 sopwatch 中打开',
    colon: '：',
  },
};

/** A store's language: its own `notify.stores[].language` (matched by id or name), else `notify.language`, else English. */
export function languageFor(config: Pick<NotifyConfig, 'stores'> & { language?: NotifyLanguage }, store: { id: string; name?: string }): NotifyLanguage {
  const own = config.stores.find((s) => s.store === store.id || (store.name !== undefined && s.store === store.name))?.language;
  return own ?? config.language ?? 'en';
}
