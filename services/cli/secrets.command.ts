// `sopwatch secrets status|rotate-key|new-key`: the key that seals stored secrets (camera passwords), and its rotation.
import { parseArgs } from 'node:util';
import { env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { rotateKey, secretStatus } from '../core/secret-rotation.ts';
import { loadSecretKey, newSecretKey, secretBox } from '../core/secrets.ts';
import { openCommandDatabase } from './open-database.ts';

const HELP = `Usage:
  sopwatch secrets status       where the key comes from, its id, and whether every stored secret opens with it
  sopwatch secrets rotate-key   seal every stored secret (camera passwords) again under a new key
  sopwatch secrets new-key      print a new random key (for SOPWATCH_SECRET_KEY / SOPWATCH_NEW_SECRET_KEY)

The key comes from SOPWATCH_SECRET_KEY (32 bytes, base64 or hex), else from the key file secret.key (mode 0600)
in SOPWATCH_DATA_DIR, created on first start.
rotate-key with the key file: a new key is made, staged as secret.key.next, every secret is sealed again in one
  transaction, then secret.key.next replaces secret.key. Restart \`sopwatch serve\` afterwards.
rotate-key with SOPWATCH_SECRET_KEY: set SOPWATCH_NEW_SECRET_KEY to the new key as well; afterwards give every
  process the new key as SOPWATCH_SECRET_KEY and restart them.
With the embedded database, stop \`sopwatch serve\` first (one process owns the directory).`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'new-key') {
    process.stdout.write(`${newSecretKey().toString('base64')}\n`);
    return 0;
  }
  if (sub !== 'status' && sub !== 'rotate-key') throw new UsageError(`unknown subcommand "${sub}"\n\n${HELP}`);
  const e = env();
  const envKey = e.secretKey === undefined ? {} : { envKey: e.secretKey };
  if (sub === 'rotate-key' && e.secretKey !== undefined && e.newSecretKey === undefined) {
    throw new UsageError('the key comes from SOPWATCH_SECRET_KEY: set SOPWATCH_NEW_SECRET_KEY to the new key too (make one with `sopwatch secrets new-key`)');
  }
  const db = await openCommandDatabase();
  try {
    if (sub === 'status') {
      const current = await loadSecretKey({ dataDir: e.dataDir, ...envKey });
      const box = secretBox(current.key);
      const where = current.source.kind === 'env' ? 'SOPWATCH_SECRET_KEY' : current.source.path;
      const s = await secretStatus(db, box);
      process.stdout.write(`key ${box.keyId} from ${where}; ${s.total} stored secret(s), ${s.total - s.unreadable.length} open with it\n`);
      if (s.unreadable.length > 0) process.stdout.write(`cameras whose password does not open (enter it again, or restore the old key): ${s.unreadable.join(', ')}\n`);
      return s.unreadable.length > 0 ? 1 : 0;
    }
    const r = await rotateKey({ db, dataDir: e.dataDir, ...envKey, ...(e.newSecretKey === undefined ? {} : { newKey: e.newSecretKey }) });
    const then = r.source.kind === 'file'
      ? `${r.source.path} holds the new key. Restart \`sopwatch serve\`.`
      : 'Now give every process SOPWATCH_SECRET_KEY=<the value of SOPWATCH_NEW_SECRET_KEY> and restart them.';
    process.stdout.write(`re-sealed ${r.resealed} secret(s) under key ${r.to} (was ${r.from}). ${then}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
