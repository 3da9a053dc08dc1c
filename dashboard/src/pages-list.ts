// Every page of the dashboard, for the frame's menu and for the browser tests that visit them all (no preact here: tests
// in Node import this module, and preact's types would bring the DOM's into their type check).
import type { en } from './i18n/en.ts';

/** A dictionary key (as i18n/index.ts's Key, which this module cannot import: it reads the browser's language). */
type Key = keyof typeof en;

/**
 * Every page of the signed-in dashboard, in menu order, with the query keys that open one thing on it (a detail, a
 * form, a tab). The frame's menu and the browser tests that visit every page both read this list.
 */
export const PAGES: ReadonlyArray<{ path: string; label: Key; views: readonly string[] }> = [
  { path: '/alerts', label: 'nav.alerts', views: ['v'] },
  { path: '/review', label: 'nav.review', views: [] },
  { path: '/clips', label: 'nav.clips', views: ['clip'] },
  { path: '/cameras', label: 'nav.cameras', views: ['camera', 'add'] },
  { path: '/sops', label: 'nav.sops', views: ['sop', 'tab', 'new', 'gallery', 'file'] },
  { path: '/reports', label: 'nav.reports', views: ['from'] },
];

/** Pages reached from one of PAGES rather than from the menu (a report's own page), with their views' query keys. */
export const SUBPAGES: ReadonlyArray<{ path: string; views: readonly string[] }> = [
  // The daily digest of one store and day (`storeId`, `day`; without them the chosen store's today), from Reports.
  { path: '/reports/digest', views: [] },
];
