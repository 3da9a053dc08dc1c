// The dashboard's words: one dictionary per language, chosen once from the browser's preferences.
import { fill, LOCALE, pickLanguage, type Lang } from '../lib/lang.ts';
import { en } from './en.ts';
import { zh } from './zh.ts';

export type Key = keyof typeof en;

const dictionaries: Record<Lang, Record<Key, string>> = { en, zh };

export const lang: Lang = pickLanguage(typeof navigator === 'undefined' ? [] : (navigator.languages ?? [navigator.language]));
export const locale = LOCALE[lang];

export function t(key: Key, vars?: Record<string, string | number>): string {
  return fill(dictionaries[lang][key] ?? en[key], vars);
}

/** A word from the API (a kind, a reason code, a status) when we have one for it, else the API's own word. */
export function tOr(key: string, fallback: string): string {
  return key in en ? t(key as Key) : fallback;
}
