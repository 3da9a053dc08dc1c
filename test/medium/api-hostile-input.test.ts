// Hostile input the API must refuse with a 400 and a clear message, never a 500: NUL and control bytes in ids, paths
// and queries (PostgreSQL cannot hold them), NUL in JSON bodies, malformed multipart uploads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let manager: Session;

beforeAll(async () => {
  f = await apiFixture();
  manager = await f.login(USERS.managerA);
});
afterAll(async () => f?.close());

describe('control bytes in ids, paths and queries', () => {
  it.each([
    '/api/clips/%00', '/api/violations?clipId=%00', '/api/violations/%00', '/api/clips?storeId=a%00b', '/api/violations?status=open%01',
    '/api/stores/%0a/cameras', '/api/review-items?cameraId=%7f', '/api/clips/x%1b%5b31m',
  ])('GET %s is a 400 naming the parameter', async (url) => {
    const res = await f.call(manager, { method: 'GET', url });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/control character/);
  });

  it('refuses them before authentication too, and on writes', async () => {
    expect((await f.call(undefined, { method: 'GET', url: '/api/clips/%00' })).statusCode).toBe(400);
    expect((await f.call(manager, { method: 'DELETE', url: '/api/clips/%00' })).statusCode).toBe(400);
  });

  it('refuses a NUL anywhere in a JSON body (a comment of a review)', async () => {
    const url = `/api/violations/${encodeURIComponent(f.a1.violationId)}/reviews`;
    const res = await f.call(manager, { method: 'POST', url, payload: { decision: 'confirmed', comment: 'ok\u0000then' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.body).toMatch(/control character|NUL/);
  });

  it('still serves ordinary ids', async () => {
    expect((await f.call(manager, { method: 'GET', url: `/api/clips/${f.a1.clipId}` })).statusCode).toBe(200);
    expect((await f.call(manager, { method: 'GET', url: `/api/violations?clipId=${f.a1.clipId}` })).statusCode).toBe(200);
  });
});

describe('malformed multipart uploads', () => {
  const url = (): string => `/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`;
  const head = '--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\nContent-Type: video/mp4\r\n\r\n';

  it('a truncated body (no closing boundary) is a 400 and leaves no clip', async () => {
    const before = (await f.call(manager, { method: 'GET', url: '/api/clips' })).json<unknown[]>().length;
    const res = await f.call(manager, { method: 'POST', url: url(), payload: `${head}\u0000\u0000\u0000\u0018ftypmp42`, headers: { 'content-type': 'multipart/form-data; boundary=b' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ error: string }>().error).toBe('bad_request');
    expect((await f.call(manager, { method: 'GET', url: '/api/clips' })).json<unknown[]>().length).toBe(before);
  });

  it('a multipart content type without a boundary is a 400', async () => {
    const res = await f.call(manager, { method: 'POST', url: url(), payload: `${head}abc\r\n--b--\r\n`, headers: { 'content-type': 'multipart/form-data' } });
    expect(res.statusCode, res.body).toBe(400);
  });

  it('a body that is not multipart at all under a multipart type is a 400', async () => {
    const res = await f.call(manager, { method: 'POST', url: url(), payload: 'hello', headers: { 'content-type': 'multipart/form-data; boundary=zz' } });
    expect(res.statusCode, res.body).toBe(400);
  });
});
