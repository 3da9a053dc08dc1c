// Live-camera plumbing as pure logic: JPEG stream splitting under any chunking, the newest-wins buffer, the evidence
// ring, secret redaction, the camera URI policy (no SSRF), Digest answers, and the cameras file.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCameraUri, withCredentials } from '../../services/ingester/camera-uri.ts';
import { FrameBuffer } from '../../services/ingester/frame-buffer.ts';
import { digestAuthorization, digestResponse, parseAuthParams, pickChallenge } from '../../services/ingester/http-digest.ts';
import { JpegSplitter, looksLikeJpeg } from '../../services/ingester/jpeg-stream.ts';
import { redact, redactUrl } from '../../services/ingester/redact.ts';
import { parseLiveConfig } from '../../services/live/camera-config.ts';
import { EvidenceRing, type WatchedFrame } from '../../services/live/evidence-ring.ts';
import { detectionsNear } from '../../services/service/live-evidence.ts';

/** A small but structurally real JPEG: SOI, an APP segment holding FF D9 bytes, SOS, stuffed entropy data, EOI. */
function jpeg(seed: number): Buffer {
  const app = Buffer.from([0xff, 0xe1, 0x00, 0x08, 0xff, 0xd9, seed & 0xff, 0xff, 0xd9, 0x00]);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x04, 0x01, 0x02]);
  const data = Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, seed & 0x7f, 0xff, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app, sos, data, Buffer.from([0xff, 0xd9])]);
}

describe('JpegSplitter', () => {
  it('returns exactly the pictures sent, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(255), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }), (seeds, cuts) => {
        const pictures = seeds.map(jpeg);
        const stream = Buffer.concat(pictures);
        const splitter = new JpegSplitter();
        const out: Buffer[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const n = cuts[i++ % cuts.length] as number;
          out.push(...splitter.push(stream.subarray(at, at + n)));
          at += n;
        }
        expect(out.map((b) => b.toString('hex'))).toEqual(pictures.map((b) => b.toString('hex')));
        expect(splitter.pendingBytes).toBe(0);
        expect(out.every(looksLikeJpeg)).toBe(true);
      }),
    );
  });

  it('refuses a stream that is not JPEGs, and a picture over the size limit', () => {
    expect(() => new JpegSplitter().push(Buffer.from('<html>'))).toThrow(/does not start a JPEG/);
    const big = new JpegSplitter(64);
    expect(() => big.push(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]), Buffer.alloc(100, 1)]))).toThrow(/larger than 64 bytes/);
  });
});

describe('FrameBuffer', () => {
  it('keeps the newest frames when the consumer is slow, and counts the dropped ones', async () => {
    const buf = new FrameBuffer<number>(2);
    for (let i = 1; i <= 5; i++) buf.push(i);
    expect(buf.dropped).toBe(3);
    expect(await buf.next()).toBe(4);
    expect(await buf.next()).toBe(5);
    const waiting = buf.next();
    buf.push(6);
    expect(await waiting).toBe(6);
    buf.close();
    expect(await buf.next()).toBeUndefined();
    expect(buf.pushed).toBe(6);
    expect(buf.taken).toBe(3);
  });
});

describe('EvidenceRing', () => {
  it('holds frames of the last window only, at most maxFrames, and spreads picks evenly', () => {
    const ring = new EvidenceRing(10_000, 8);
    for (let t = 0; t <= 20_000; t += 500) ring.add({ cameraId: 'c', index: t, tMs: t, jpeg: Buffer.alloc(1) });
    expect(ring.size).toBe(8);
    expect(ring.between(0, 16_000)).toHaveLength(0);
    expect(ring.spread(16_500, 20_000, 3).map((f) => f.tMs)).toEqual([16_500, 18_500, 20_000]);
  });

  it('gives a frame its detections once settled, in a new object: frames already handed out stay as they were', () => {
    const ring = new EvidenceRing(10_000, 8);
    for (const t of [0, 500, 1000]) ring.add({ cameraId: 'c', index: t, tMs: t, jpeg: Buffer.alloc(1) });
    const handed = ring.between(0, 1000);
    const detections = { cameraId: 'c', frameIndex: 1, tMs: 500, width: 4, height: 3, inferenceMs: 1, items: [{ kind: 'person' as const, label: 'person', score: 0.9, box: [0.1, 0.2, 0.3, 0.4] as const, trackId: 'p1' }] };
    ring.annotate(500, detections);
    ring.annotate(700, { ...detections, tMs: 700 });
    expect(ring.between(0, 1000).map((f) => f.detections?.tMs)).toEqual([undefined, 500, undefined]);
    expect(handed.every((f) => f.detections === undefined)).toBe(true);
    // The nearest settled frame stands in for one still in the frame stage.
    const [first, , last] = ring.between(0, 1000);
    expect(detectionsNear(last as WatchedFrame, ring.between(0, 1000))?.tMs).toBe(500);
    expect(detectionsNear(first as WatchedFrame, [])).toBeUndefined();
  });
});

describe('redaction', () => {
  const secret = 'p@ss:w/rd';
  it('masks URL userinfo, credential parameters, auth headers and the secret in any encoding', () => {
    const text = `ffmpeg: rtsp://admin:${encodeURIComponent(secret)}@10.0.0.2:554/s failed; http://cam/snap?user=admin&password=${secret}; Authorization: Digest x=1; raw ${secret}`;
    const out = redact(text, [secret]);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).toContain('rtsp://***@10.0.0.2:554/s');
    expect(redactUrl(`rtsp://admin:${encodeURIComponent(secret)}@cam/s`)).toBe('rtsp://cam/s');
  });
});

describe('camera URI policy', () => {
  const policy = { host: '192.168.1.20', ports: [554], schemes: ['rtsp'] as const };
  it.each([
    ['rtsp://192.168.1.20/stream1', 'rtsp://192.168.1.20/stream1'],
    ['rtsp://192.168.1.20:554/s?x=1', 'rtsp://192.168.1.20:554/s?x=1'],
    ['rtsp://u:p@192.168.1.20/s', 'rtsp://192.168.1.20/s'],
  ])('accepts %s', (uri, expected) => {
    expect(checkCameraUri(uri, policy, 'test').toString()).toBe(expected);
  });
  it.each(['rtsp://192.168.1.21/s', 'rtsp://192.168.1.20:8554/s', 'http://192.168.1.20/s', 'file:///etc/passwd', 'rtsp://192.168.1.20@evil.example/s', '', 'not a url'])('refuses %s', (uri) => {
    expect(() => checkCameraUri(uri, policy, 'test')).toThrow();
  });
  it('percent-encodes credentials so that @ : / in a password keep the URL whole', () => {
    const url = new URL(withCredentials('rtsp://10.0.0.2/s', 'admin', 'p@ss:w/rd'));
    expect(url.hostname).toBe('10.0.0.2');
    expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd');
  });
});

describe('HTTP Digest', () => {
  it('answers a challenge the way the server checks it, preferring SHA-256', () => {
    const c = pickChallenge(['Basic realm="x"', 'Digest realm="cam", qop="auth,auth-int", nonce="n1", algorithm=MD5', 'Digest realm="cam", qop="auth", nonce="n2", algorithm=SHA-256']);
    expect(c).toMatchObject({ nonce: 'n2', algorithm: 'SHA-256', qop: 'auth' });
    if (c === undefined) throw new Error('unreachable');
    const header = digestAuthorization(c, 'admin', 'pw', 'GET', '/snapshot.jpg', 1);
    const p = parseAuthParams(header.replace(/^Digest /, ''));
    const expected = digestResponse({ algorithm: 'SHA-256', username: 'admin', password: 'pw', realm: 'cam', method: 'GET', uri: '/snapshot.jpg', nonce: 'n2', nc: p.nc, cnonce: p.cnonce, qop: 'auth' });
    expect(p.response).toBe(expected);
    expect(p.nc).toBe('00000001');
    expect(pickChallenge(['Basic realm="x"'])).toBeUndefined();
  });
});

describe('cameras file', () => {
  it('fills defaults and points at the line of each problem', () => {
    const ok = parseLiveConfig('cameras:\n  - id: bar-1\n    host: 10.0.0.2\n    passwordEnv: BAR1_PW\n', 'cameras.yaml');
    expect(ok.cameras[0]).toMatchObject({ id: 'bar-1', onvifPort: 80, fps: 2, source: 'auto', transport: 'tcp', rtspPorts: [554] });
    expect(ok.stallMs).toBe(20_000);
    expect(() => parseLiveConfig('cameras:\n  - id: bar-1\n    host: 10.0.0.2\n    password: hunter2\n', 'cameras.yaml')).toThrow(/cameras\.yaml:\d+:\d+: .*password/);
    expect(() => parseLiveConfig('cameras:\n  - id: a\n    host: h\n  - id: a\n    host: h\n', 'c.yaml')).toThrow(/c\.yaml:4:\d+: duplicate camera id "a"/);
    expect(() => parseLiveConfig('cameras:\n  - id: a\n    host: h\n    fps: 30\n', 'c.yaml')).toThrow(/c\.yaml:4:\d+: cameras\.0\.fps/);
  });
});
