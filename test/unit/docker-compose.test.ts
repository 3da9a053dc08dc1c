// docker-compose.yml and the Dockerfile it builds: well-formed, and the production settings the design relies on.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';

const root = new URL('../../', import.meta.url);
const text = readFileSync(new URL('docker-compose.yml', root), 'utf8');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number | string };
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

// Compose merges `<<: *anchor` keys; the yaml package does the same with merge: true.
const compose = parse(text, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

describe('docker-compose.yml', () => {
  it('is one well-formed YAML document without duplicate keys', () => {
    const doc = parseDocument(text, { merge: true, uniqueKeys: true });
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(Object.keys(services).sort()).toEqual(['api', 'ollama', 'postgres', 'redis', 'worker']);
  });

  it('runs Redis with AOF and noeviction, and PostgreSQL with a required password and a health check', () => {
    const redis = (services.redis?.command ?? []).join(' ');
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--appendfsync everysec/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(services.redis?.volumes).toContain('redis-data:/data');
    expect(services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(services.postgres?.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    expect(services.postgres?.ports).toBeUndefined();
    expect(services.redis?.ports).toBeUndefined();
  });

  it('splits roles: one API (sopwatch serve, SOPWATCH_ROLES=api) and N workers (deploy.replicas) on the same image and data', () => {
    const api = services.api as Service;
    const worker = services.worker as Service;
    expect(api.build).toBe('.');
    expect(worker.image).toBe(api.image);
    expect(api.command?.[0]).toBe('serve');
    expect(worker.command?.[0]).toBe('serve');
    expect(api.environment?.SOPWATCH_ROLES).toBe('api');
    expect(worker.environment?.SOPWATCH_ROLES).toBe('worker');
    expect(worker.deploy?.replicas).toBe('${SOPWATCH_WORKERS:-2}');
    for (const s of [api, worker]) {
      expect(s.environment?.DATABASE_URL).toMatch(/^postgres:\/\/sopwatch:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/sopwatch$/);
      expect(s.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(s.environment?.SOPWATCH_DATA_DIR).toBe('/data');
      expect(s.volumes).toContain('sopwatch-data:/data');
      expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    }
    expect(api.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(worker.ports).toBeUndefined();
    expect(Object.keys(compose.volumes).sort()).toEqual(['ollama-models', 'postgres-data', 'redis-data', 'sopwatch-data']);
  });

  it('keeps the local model server optional (a profile) and secrets out of the file', () => {
    expect(services.ollama?.profiles).toEqual(['local-model']);
    // Every value that looks like a secret is a ${VARIABLE} reference, never a literal.
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|KEY|_URL$/.test(key) && key !== 'REDIS_URL') expect([name, key, value]).toEqual([name, key, expect.stringMatching(/\$\{[A-Z_]+(:[-?][^}]*)?\}/)]);
      }
    }
  });

  it('builds from a Dockerfile on node:20-bookworm-slim with ffmpeg, npm ci and no build step', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
    expect(dockerfile).toMatch(/RUN npm ci/);
    // No install scripts before the sources are copied (allowScripts approves none; the bundles are built after them).
    expect(dockerfile).toMatch(/RUN npm ci [^\n]*--ignore-scripts/);
    expect(dockerfile.indexOf('RUN node bin/bundle.mjs')).toBeGreaterThan(dockerfile.indexOf('COPY services'));
    expect(dockerfile).not.toMatch(/npm run build|tsc /);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/sopwatch.mjs"\]/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const sources = [...dockerfile.matchAll(/^COPY (.+)$/gm)].flatMap((m) => (m[1] as string).split(/\s+/).slice(0, -1));
    expect(sources).toContain('package-lock.json');
    for (const path of sources) expect([path, existsSync(new URL(path, root))]).toEqual([path, true]);
  });
});
