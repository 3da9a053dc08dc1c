// `sopwatch cameras add|discover|check|watch`: add a store camera, find ONVIF cameras, check that configured cameras give frames, watch them live.
import { parseArgs } from 'node:util';
import { env, secretFromEnv } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { discoverOnvif } from '../ingester/onvif-discovery.ts';
import { OnvifRepository } from '../ingester/onvif.repository.ts';
import { redactError } from '../ingester/redact.ts';
import { loadLiveConfig, type CameraConfig } from '../live/camera-config.ts';
import { cameraSourceFactory } from '../live/camera-source.ts';
import { addCamera } from './camera-add.ts';
import { runLive } from '../live/live-runner.ts';
import { formatSopError, loadSopDir } from '../rules/sop-loader.ts';

const HELP = `Usage:
  sopwatch cameras add --store ID|NAME --name NAME [--tags a,b] [--host HOST [--source auto|rtsp|snapshot]
                       [--onvif-port N] [--rtsp-url URL] [--snapshot-url URL] [--username U] [--password-stdin]]
      Adds a camera to a store. A name alone makes an upload-only camera; with --host it is watched live. The
      password is read from stdin (--password-stdin), stored encrypted and never shown again.
  sopwatch cameras discover [--timeout MS] [--json]
      WS-Discovery on the local network. Found cameras are listed, never contacted.
  sopwatch cameras check --config cameras.yaml [--camera ID] [--json]
      For each camera: ONVIF profile and URIs (no credentials shown), then one frame within 20 s.
  sopwatch cameras watch --config cameras.yaml --sop PATH [--sop ...] [--json]
      Watch the cameras live against the SOP rules until Ctrl-C. With REDIS_URL set, cameras are shared
      between all running watchers through leases; without, this process watches every camera.
Passwords come from the environment variable each camera names in passwordEnv.`;

function passwordOf(cam: CameraConfig): string | undefined {
  return cam.passwordEnv === undefined ? undefined : secretFromEnv(cam.passwordEnv);
}

async function discover(timeoutMs: number, json: boolean): Promise<number> {
  const found = await discoverOnvif({ timeoutMs, probes: 2 });
  if (json) process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  else if (found.length === 0) process.stdout.write('no ONVIF camera answered (discovery only reaches the local network segment)\n');
  else for (const c of found) process.stdout.write(`${c.host ?? '?'}:${c.port ?? '?'}  ${c.name ?? '(no name)'}  ${c.location ?? ''}  ${c.urn}\n`);
  return 0;
}

async function firstFrame(cam: CameraConfig, password: string | undefined): Promise<{ ok: boolean; detail: string }> {
  const source = await cameraSourceFactory(cam, password)();
  return new Promise((resolve) => {
    const began = Date.now();
    let done = false;
    const session = source.open({
      onFrame: (jpeg) => {
        if (done) return;
        done = true;
        void session.stop().then(() => resolve({ ok: true, detail: `${source.description}: first frame (${jpeg.length} bytes) after ${Date.now() - began} ms` }));
      },
    });
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      void session.stop().then(() => resolve({ ok: false, detail: `${source.description}: no frame within 20 s` }));
    }, 20_000);
    void session.ended.then((end) => {
      clearTimeout(timer);
      if (done) return;
      done = true;
      resolve({ ok: false, detail: `${source.description}: ${end.reason}` });
    });
  });
}

async function check(configPath: string, only: string | undefined, json: boolean): Promise<number> {
  const config = await loadLiveConfig(configPath);
  const cams = config.cameras.filter((c) => only === undefined || c.id === only);
  if (cams.length === 0) throw new UsageError(`cameras check: no camera ${only === undefined ? 'in the file' : `"${only}"`}`);
  let failed = 0;
  for (const cam of cams) {
    const password = passwordOf(cam);
    const report: { camera: string; ok?: boolean; frame?: string; error?: string; [key: string]: unknown } = { camera: cam.id };
    try {
      const usesOnvif = cam.source === 'snapshot' ? cam.snapshotUrl === undefined : cam.rtspUrl === undefined;
      if (usesOnvif) {
        const repo = new OnvifRepository({ cameraId: cam.id, host: cam.host, port: cam.onvifPort, username: cam.username, password, auth: cam.auth, rtspPorts: cam.rtspPorts, ...(cam.snapshotPorts.length > 0 ? { snapshotPorts: cam.snapshotPorts } : {}) });
        const wanted = cam.profile === undefined ? {} : { profileToken: cam.profile };
        if (cam.source === 'snapshot') {
          const profile = await repo.resolveProfile(wanted);
          Object.assign(report, { profile, snapshotUri: await repo.snapshotUri(profile.token), clockSkewMs: repo.clockSkewMs() });
        } else {
          const media = await repo.resolveMedia(wanted);
          Object.assign(report, { profile: media.profile, rtspUri: media.rtspUri, snapshotUri: media.snapshotUri, clockSkewMs: media.clockSkewMs });
        }
      }
      const frame = await firstFrame(cam, password);
      report.frame = frame.detail;
      report.ok = frame.ok;
      if (!frame.ok) failed += 1;
    } catch (err) {
      failed += 1;
      report.ok = false;
      report.error = redactError(err, [password]);
    }
    if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${cam.id}: ${report.ok === true ? 'OK' : 'FAILED'}  ${report.frame ?? report.error ?? ''}\n`);
  }
  return failed === 0 ? 0 : 1;
}

/** The options that were given (parseArgs leaves the others undefined). */
function pick<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/** The password from stdin (one line; a trailing newline dropped): never from argv, where `ps` would show it. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (Buffer.concat(chunks).length > 1024) throw new UsageError('cameras add: the password on stdin is longer than 1 KiB');
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '' || /[\x00-\x1f\x7f]/.test(text)) throw new UsageError('cameras add: --password-stdin needs one line on stdin, without control characters');
  return text;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      camera: { type: 'string' },
      sop: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      store: { type: 'string' },
      name: { type: 'string' },
      tags: { type: 'string' },
      host: { type: 'string' },
      source: { type: 'string' },
      'onvif-port': { type: 'string' },
      'rtsp-url': { type: 'string' },
      'snapshot-url': { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  switch (sub) {
    case 'add': {
      if (values.store === undefined || values.name === undefined) throw new UsageError('cameras add: --store and --name are required');
      const password = values['password-stdin'] ? await readPassword() : undefined;
      const added = await addCamera({
        store: values.store, name: values.name,
        ...pick({ host: values.host, source: values.source, onvifPort: values['onvif-port'], rtspUrl: values['rtsp-url'], snapshotUrl: values['snapshot-url'], username: values.username, tags: values.tags, password }),
      });
      if (values.json) process.stdout.write(`${JSON.stringify(added)}\n`);
      else process.stdout.write(`added camera "${added.name}" (${added.id}) to store ${added.storeId}: ${added.host === null ? 'uploads only' : `watched live at ${added.host}${added.hasPassword ? ', password stored encrypted' : ''}`}\n`);
      return 0;
    }
    case 'discover': {
      const timeoutMs = Number(values.timeout ?? 3000);
      if (!(timeoutMs >= 100 && timeoutMs <= 60_000)) throw new UsageError('cameras discover: --timeout must be 100..60000 ms');
      return discover(timeoutMs, values.json);
    }
    case 'check':
      if (values.config === undefined) throw new UsageError('cameras check: --config cameras.yaml is required');
      return check(values.config, values.camera, values.json);
    case 'watch': {
      if (values.config === undefined || values.sop === undefined) throw new UsageError('cameras watch: --config and --sop are required');
      const config = await loadLiveConfig(values.config);
      const loaded = await loadSopDir(values.sop);
      for (const e of loaded.errors) process.stderr.write(`${formatSopError(e)}\n`);
      if (loaded.sops.length === 0) throw new UsageError('cameras watch: no usable SOP file');
      const redisUrl = env().redisUrl;
      await runLive({ config, sops: loaded.sops, json: values.json, out: process.stdout, passwordOf, ...(redisUrl === undefined ? {} : { redisUrl }) });
      return 0;
    }
    default:
      throw new UsageError(`cameras: unknown subcommand "${sub}" (add, discover, check, watch)`);
  }
}
