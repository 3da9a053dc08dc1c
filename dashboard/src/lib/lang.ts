// Which of the dashboard's languages a browser gets: the first of its preferences we have, else English.

export type Lang = 'en' | 'zh';

export function pickLanguage(preferences: readonly string[]): Lang {
  for (const tag of preferences) {
    const t = tag.toLowerCase();
    if (t.startsWith('zh')) return 'zh';
    if (t.startsWith('en')) return 'en';
  }
  return 'en';
}

/** The BCP 47 tag used for dates and numbers in each language. */
export const LOCALE: Record<Lang, string> = { en: 'en-GB', zh: 'zh-CN' };

/** `{name}` placeholders filled from `vars`; a missing one stays visible rather than vanishing. */
export function fill(template: string, vars: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}
