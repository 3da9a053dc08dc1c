// Bytes no id, path or query of this API ever needs: control characters (NUL included) are refused with a 400 before
// anything reads them (PostgreSQL cannot store a NUL; a terminal or a log line must not receive escape sequences).
// In JSON bodies only NUL is refused: comments and SOP files may hold line breaks and tabs.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { badRequest } from '../../http-errors.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;

function checkStrings(where: string, values: unknown): void {
  if (values === null || typeof values !== 'object') return;
  for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
    const list = Array.isArray(value) ? value : [value];
    if (CONTROL.test(key) || list.some((v) => typeof v === 'string' && CONTROL.test(v))) {
      throw badRequest(`${where} parameter "${key.replace(new RegExp(CONTROL.source, 'g'), '?')}" holds a control character`);
    }
  }
}

/** The first path (`comment`, `steps.0.id`) of a string holding NUL, or undefined. */
function nulAt(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key.includes('\u0000')) return path || '(body)';
    const found = nulAt(v, path === '' ? key : `${path}.${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

export const inputGuardPlugin = fp(async (app) => {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const path = req.url.split('?')[0] ?? '';
    let decoded = path;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      throw badRequest('the path is not valid percent-encoding');
    }
    if (CONTROL.test(decoded)) throw badRequest('the path holds a control character');
    checkStrings('path', req.params);
    checkStrings('query', req.query);
  });
  app.addHook('preValidation', async (req: FastifyRequest) => {
    const at = nulAt(req.body, '');
    if (at !== undefined) throw badRequest(`the body holds a NUL control character (at ${at})`);
  });
}, { name: 'sopwatch-input-guard', dependencies: ['sopwatch-errors'] });
