// The published API description: /api/docs/json validates as OpenAPI 3.0 with a maintained validator, and a typed
// client generated from it compiles (and refuses a wrong use), while request validation stays as strict as the routes say.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import type { OpenAPIV3 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaToOpenApi30 } from '../../services/api/plugins/external/openapi-30.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

const run = promisify(execFile);
const TSC = resolve('node_modules/typescript/bin/tsc');

let f: ApiFixture;
let owner: Session;
let doc: OpenAPIV3.Document;
let dir: string;

beforeAll(async () => {
  f = await apiFixture();
  owner = await f.login(USERS.owner1);
  const res = await f.call(undefined, { method: 'GET', url: '/api/docs/json' });
  expect(res.statusCode).toBe(200);
  doc = res.json<OpenAPIV3.Document>();
  dir = await mkdtemp(join(tmpdir(), 'sopwatch-openapi-'));
});
afterAll(async () => {
  await f?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The validator's verdict on a document: 'valid' or its error messages. */
async function validate(document: unknown): Promise<string> {
  try {
    await SwaggerParser.validate(structuredClone(document) as OpenAPIV3.Document);
    return 'valid';
  } catch (err) {
    return (err as Error).message;
  }
}

/** A minimal 3.0.3 document whose only response body is `schema`. */
const docWith = (schema: unknown): unknown => ({
  openapi: '3.0.3', info: { title: 't', version: '1' },
  paths: { '/x': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema } } } } } } },
});

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.0.3 with @apidevtools/swagger-parser', async () => {
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
    expect(await validate(doc)).toBe('valid');
  });

  it('states exclusive bounds and tuples the 3.0 way, without loosening them', () => {
    const stream = doc.paths['/api/stores/{storeId}/cameras/{cameraId}/stream']?.put?.requestBody as OpenAPIV3.RequestBodyObject;
    const fps = (stream.content['application/json']?.schema as OpenAPIV3.SchemaObject).properties?.fps;
    expect(fps).toMatchObject({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 5 });
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/"exclusiveM(in|ax)imum":-?\d/);
    expect(text).not.toMatch(/"items":\[/);
    expect(text).not.toContain('"additionalItems"');
    expect(text).not.toContain('"const"');
    // The zone polygons of an explained SOP: points are arrays of exactly two numbers.
    expect(text).toContain('"items":{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":2}');
  });

  it('leaves the routes\' own validation as strict as before: fps 0 is still refused', async () => {
    const url = `/api/stores/${f.stores.a1}/cameras/${f.a1.cameraId}/stream`;
    const refused = await f.call(owner, { method: 'PUT', url, payload: { host: '10.0.0.5', fps: 0 } });
    expect(refused.statusCode, refused.body).toBe(400);
    expect(refused.body).toContain('fps');
    const accepted = await f.call(owner, { method: 'PUT', url, payload: { host: '10.0.0.5', fps: 0.5 } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ host: '10.0.0.5', fps: 0.5 });
  });
});

describe('the 3.0 mapping of JSON Schema', () => {
  // Each case: a JSON Schema the 3.0 validator refuses as is, and what it becomes.
  const cases: Array<{ name: string; input: unknown; output: unknown }> = [
    { name: 'a numeric exclusiveMinimum', input: { type: 'number', exclusiveMinimum: 0 }, output: { type: 'number', minimum: 0, exclusiveMinimum: true } },
    { name: 'a numeric exclusiveMaximum beside a looser maximum', input: { type: 'number', maximum: 10, exclusiveMaximum: 5 }, output: { type: 'number', maximum: 5, exclusiveMaximum: true } },
    { name: 'an exclusiveMinimum under a stricter minimum', input: { type: 'integer', minimum: 3, exclusiveMinimum: 1 }, output: { type: 'integer', minimum: 3 } },
    {
      name: 'a tuple of two different types',
      input: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false, minItems: 2, maxItems: 2 },
      output: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] }, minItems: 2, maxItems: 2 },
    },
    { name: 'a 2020-12 prefixItems tuple', input: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], minItems: 2, maxItems: 2 }, output: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } },
    { name: 'const', input: { type: 'string', const: 'auto' }, output: { type: 'string', enum: ['auto'] } },
    { name: 'a nullable type list', input: { type: ['string', 'null'] }, output: { type: 'string', nullable: true } },
    {
      name: 'a record by key pattern',
      input: { type: 'object', patternProperties: { '^(.*)$': { type: 'integer', exclusiveMinimum: 0 } }, additionalProperties: false },
      output: { type: 'object', additionalProperties: { type: 'integer', minimum: 0, exclusiveMinimum: true } },
    },
    { name: 'examples and $id', input: { $id: 'X', type: 'string', examples: ['a', 'b'] }, output: { type: 'string', example: 'a' } },
  ];

  it.each(cases)('maps $name to a valid 3.0 schema', async ({ input, output }) => {
    expect(await validate(docWith(input))).not.toBe('valid');
    const mapped = schemaToOpenApi30(input);
    expect(mapped).toEqual(output);
    expect(await validate(docWith(mapped))).toBe('valid');
  });

  it('maps nested schemas but never a property that happens to be named like a keyword', () => {
    const input = {
      type: 'object',
      properties: { const: { type: 'string', const: 'x' }, items: { type: 'array', items: [{ type: 'number' }] } },
      anyOf: [{ not: { type: 'number', exclusiveMaximum: 1 } }],
    };
    expect(schemaToOpenApi30(input)).toEqual({
      type: 'object',
      properties: { const: { type: 'string', enum: ['x'] }, items: { type: 'array', items: { type: 'number' } } },
      anyOf: [{ not: { type: 'number', maximum: 1, exclusiveMaximum: true } }],
    });
  });
});

describe('a typed client generated from it', () => {
  /** tsc on one file of the temp dir: its exit code and diagnostics. */
  const tsc = (file: string) => run(process.execPath, [TSC, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--allowImportingTsExtensions', file], { cwd: dir })
    .then(() => ({ code: 0, out: '' }), (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }));

  it('compiles, and tells a right use from a wrong one', async () => {
    const source = astToString(await openapiTS(structuredClone(doc) as unknown as OpenAPI3));
    await writeFile(join(dir, 'api.ts'), source);
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    const usage = (body: string) => `import type { paths } from './api.ts';
type StreamBody = paths['/api/stores/{storeId}/cameras/{cameraId}/stream']['put']['requestBody'];
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type ViolationList = Json<paths['/api/violations']['get']['responses'][200]>;
export const body: Json<NonNullable<StreamBody>> = ${body};
export function firstRule(list: ViolationList): string | undefined { return list[0]?.rule; }
`;
    const defaults = `onvifPort: 80, auth: 'auto', rtspPorts: [554], snapshotPorts: [], source: 'rtsp', maxWidth: 640`;
    await writeFile(join(dir, 'good.ts'), usage(`{ ${defaults}, host: '10.0.0.5', fps: 2, transport: 'tcp' }`));
    await writeFile(join(dir, 'bad.ts'), usage(`{ ${defaults}, host: '10.0.0.5', fps: '2', transport: 'carrier-pigeon' }`));

    expect(await tsc('good.ts')).toEqual({ code: 0, out: '' });
    const bad = await tsc('bad.ts');
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/^bad\.ts\(\d+,\d+\): error TS2322/m);
    expect(bad.out).toContain('carrier-pigeon');
    expect(bad.out).not.toMatch(/^api\.ts/m);
  });
});
