// Serves the manager dashboard: its pages (one HTML shell) and the bundle built from dashboard/src once, in memory.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { buildDashboardBundle, type DashboardAsset, type DashboardBundle } from '../../../../dashboard/bundle.ts';
import { PAGES, SUBPAGES } from '../../../../dashboard/src/pages-list.ts';

/**
 * Paths the dashboard's router knows (its own page lists, so that a new page is also a deep link); each serves the
 * same shell, the page is chosen in the browser.
 */
export const DASHBOARD_PAGES: readonly string[] = ['/', '/signin', ...PAGES.map((p) => p.path), ...SUBPAGES.map((p) => p.path)];

/** The shell and its bundle only: data comes from the API, images from the API (which audits each view). */
const PAGE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

export interface DashboardOptions {
  /** Default true; false keeps names and whitespace, for reading the bundle in the browser's tools. */
  minify?: boolean;
}

/** zh for a browser whose first matching preference is Chinese, else en (the dashboard reads navigator.languages the same way). */
export function shellLanguage(acceptLanguage: string | undefined): 'en' | 'zh-CN' {
  const tags = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { tag: tag.toLowerCase(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((t) => t.tag !== '' && t.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of tags) {
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

function shell(bundle: DashboardBundle, lang: 'en' | 'zh-CN'): string {
  const noscript = lang === 'zh-CN' ? '请启用 JavaScript 以使用 sopwatch 管理面板。' : 'The sopwatch dashboard needs JavaScript.';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="theme-color" content="#12312b">
<meta name="referrer" content="no-referrer">
<title>sopwatch</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${bundle.css.path}">
<script type="module" src="${bundle.js.path}"></script>
</head>
<body>
<div id="app"></div>
<noscript><p class="noscript">${noscript}</p></noscript>
</body>
</html>
`;
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, a: DashboardAsset): FastifyReply {
  void reply.header('content-type', a.contentType).header('etag', a.etag).header('vary', 'accept-encoding')
    .header('cache-control', 'public, max-age=31536000, immutable');
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  const accepted = String(req.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(a.brotli);
  if (/\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(a.gzip);
  return reply.send(a.body);
}

export const dashboardPlugin = fp<DashboardOptions>(async (app, options) => {
  let building: Promise<DashboardBundle> | undefined;
  const bundle = (): Promise<DashboardBundle> => {
    building ??= buildDashboardBundle({ minify: options.minify ?? true }).then((b) => {
      app.log.info({ buildMs: b.buildMs, jsBytes: b.js.body.length, cssBytes: b.css.body.length }, 'dashboard bundle built');
      return b;
    }, (err: unknown) => {
      // A failed build is tried again on the next page request rather than remembered for ever.
      building = undefined;
      throw err;
    });
    return building;
  };
  // A listening server builds at once, so the first visitor does not wait; `inject`-only tests never build.
  app.addHook('onListen', async () => {
    bundle().catch((err: unknown) => app.log.error({ err }, 'dashboard bundle failed to build'));
  });
  // The API answers every response with `default-src 'none'`; a page needs its own script, style and images.
  app.addHook('onSend', async (req, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) void reply.header('content-security-policy', PAGE_CSP);
    return payload;
  });

  for (const url of DASHBOARD_PAGES) {
    app.get(url, { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
      const b = await bundle();
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('vary', 'accept-language')
        .send(shell(b, shellLanguage(req.headers['accept-language'])));
    });
  }

  app.get<{ Params: { asset: string } }>('/assets/:asset', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const b = await bundle();
    const found = [b.js, b.css].find((a) => a.path === `/assets/${req.params.asset}`);
    if (found === undefined) return reply.code(404).send({ error: 'not_found', message: 'no such dashboard file (the dashboard was updated: reload the page)' });
    return sendAsset(req, reply, found);
  });
}, { name: 'sopwatch-dashboard', encapsulate: true, dependencies: ['sopwatch-errors'] });
