// Builds the dashboard (dashboard/src) with esbuild into memory: one minified JS and one CSS file, hashed and pre-compressed.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { SopwatchError } from '../services/core/errors.ts';

/** The bundle could not be built: the message carries esbuild's first errors with their file and line. */
export class DashboardBuildError extends SopwatchError {}

export interface DashboardAsset {
  /** URL path, e.g. `/assets/app.3f2a9c1e.js`: the name changes with the content, so it may be cached for ever. */
  path: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
}

export interface DashboardBundle {
  js: DashboardAsset;
  css: DashboardAsset;
  builtAt: Date;
  buildMs: number;
}

export const DASHBOARD_SRC = resolve(import.meta.dirname, 'src');

function asset(kind: 'js' | 'css', body: Buffer): DashboardAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return {
    path: `/assets/app.${hash}.${kind}`,
    contentType: kind === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
    body,
    gzip: gzipSync(body, { level: 9 }),
    brotli: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    etag: `"${hash}"`,
  };
}

/** One esbuild run over dashboard/src/main.tsx (which imports its stylesheet); nothing is written to disk. */
export async function buildDashboardBundle(options: { minify?: boolean } = {}): Promise<DashboardBundle> {
  const started = Date.now();
  let result;
  try {
    result = await build({
      entryPoints: [resolve(DASHBOARD_SRC, 'main.tsx')],
      tsconfig: resolve(DASHBOARD_SRC, 'tsconfig.json'),
      bundle: true,
      write: false,
      outdir: '/assets',
      entryNames: 'app',
      format: 'esm',
      platform: 'browser',
      // Browsers of the last few years on laptops and phones (ES2020 syntax, CSS nesting lowered).
      target: ['chrome100', 'firefox100', 'safari15', 'edge100'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: options.minify ?? true,
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent',
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors ?? [];
    const first = errors.slice(0, 5).map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text));
    throw new DashboardBuildError(`dashboard bundle failed to build${first.length > 0 ? `: ${first.join('; ')}` : ''}`, { cause: err });
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (js === undefined || css === undefined) throw new DashboardBuildError('dashboard bundle: esbuild produced no JS or no CSS');
  return {
    js: asset('js', Buffer.from(js.contents)),
    css: asset('css', Buffer.from(css.contents)),
    builtAt: new Date(),
    buildMs: Date.now() - started,
  };
}
