// `sopwatch serve`: the HTTP API and the analysis worker in one process, until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { isLoopbackHost } from '../api/plugins/app/host-guard.ts';
import { env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { decoderLines, describeDecoder } from '../ingester/decoder-report.ts';
import { startService } from '../service/index.ts';

const HELP = `Usage: sopwatch serve [--port 8080] [--host 127.0.0.1]

Serves the HTTP API (docs at /api/docs/json), analyses uploaded clips in the background, and watches live
every store camera that has a host (or a cameras.yaml entry).

Environment:
  SOPWATCH_DATA_DIR        embedded database, uploads and evidence (default .data)
  DATABASE_URL             PostgreSQL instead of the embedded database
  REDIS_URL                BullMQ on Redis instead of the in-process queue (needed to split roles)
  SOPWATCH_ROLES           api, worker or both (default api,worker)
  SOPWATCH_MAX_UPLOAD_BYTES  largest clip upload (default 2 GiB)
  SOPWATCH_METRICS_TOKEN   bearer token for /metrics (refused while unset)
  SOPWATCH_COOKIE_SECURE   auto | always | never (default auto: Secure over TLS)
  SOPWATCH_PUBLIC_ORIGIN   the origin people reach the dashboard at (https://sop.example.com); requests for any
                           other Host than it or a loopback name are refused (DNS rebinding)
  SOPWATCH_SECRET_KEY      key sealing stored camera passwords (default: secret.key in the data directory)
  SOPWATCH_CAMERAS         a cameras.yaml: its cameras are watched live for the store camera of the same name
  SOPWATCH_FFMPEG, SOPWATCH_FFPROBE  the decoder to run (default: the system's, else the npm-shipped one; see sopwatch doctor)

Create the first account with \`sopwatch user add\` (with the embedded database, before serve starts).`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be 0-65535, got "${values.port}"`);
  const decoding = await describeDecoder();
  for (const line of decoderLines(decoding)) process.stderr.write(`sopwatch serve: ${line}\n`);
  const service = await startService({ port, host: values.host, logger: { level: env().logLevel } });
  if (!isLoopbackHost(values.host) && env().publicOrigin === undefined && env().roles.includes('api')) {
    process.stderr.write(`sopwatch serve: listening on ${values.host} without SOPWATCH_PUBLIC_ORIGIN: only requests for a loopback name (localhost, 127.0.0.1) are answered; set it to the address people use, e.g. SOPWATCH_PUBLIC_ORIGIN=http://192.168.1.10:${port}\n`);
  }
  process.stderr.write(`sopwatch serve: ${service.url ?? 'worker only'} (roles ${env().roles.join(',')}, database ${service.db.kind}, queue ${service.queue.kind})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stderr.write(`sopwatch serve: ${signal}, stopping (running analyses are queued again)\n`);
      // A second signal while closing means "now".
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await service.close();
  return 0;
}
