// `sopwatch store export|delete`: a store's data on request, on the database `serve` uses, audited with actor `cli`.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { env } from '../core/env.ts';
import { openCommandDatabase } from './open-database.ts';
import { deleteStoreData, exportStore } from '../privacy/index.ts';

const ACTOR = 'cli';

const HELP = `Usage:
  sopwatch store export --store ID --out DIR
  sopwatch store delete --store ID --yes [--reason TEXT]

export: writes the store's data (JSON, evidence images, SOP files, manifest.json with SHA-256) to DIR,
        which must not exist yet. Clip video and camera credentials are left out.
delete: deletes every file and row of the store; the audit log keeps its rows and gains one saying
        what was deleted, by whom (cli) and why. Refuses without --yes and while a clip is being analysed.
Both use DATABASE_URL, or the embedded database in SOPWATCH_DATA_DIR, which only one process may own:
stop \`sopwatch serve\` first when it uses the embedded one.`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      store: { type: 'string' },
      out: { type: 'string' },
      yes: { type: 'boolean', default: false },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'export' && sub !== 'delete') throw new UsageError(`unknown subcommand "${sub}"\n\n${HELP}`);
  const storeId = values.store;
  if (storeId === undefined || storeId === '') throw new UsageError(`--store is required\n\n${HELP}`);
  if (sub === 'export' && values.out === undefined) throw new UsageError(`--out is required\n\n${HELP}`);
  if (sub === 'delete' && !values.yes) {
    throw new UsageError(`deleting store ${storeId} removes its clips, violations, evidence and reviews for good; add --yes to confirm`);
  }
  const dataDir = env().dataDir;
  const db = await openCommandDatabase();
  try {
    if (sub === 'export') {
      const outDir = resolve(values.out as string);
      const manifest = await exportStore({ db, dataDir }, { storeId, outDir, actor: ACTOR });
      const counts = Object.entries(manifest.counts).map(([k, n]) => `${k} ${n}`).join(', ');
      process.stdout.write(`exported store ${storeId} to ${outDir}: ${manifest.files.length} files (${counts})\n`);
      if (manifest.missing.length > 0) process.stdout.write(`missing evidence files (recorded, not found): ${manifest.missing.join(', ')}\n`);
      return 0;
    }
    const report = await deleteStoreData({ db, dataDir }, { storeId, actor: ACTOR, ...(values.reason === undefined ? {} : { reason: values.reason }) });
    if (!report.deleted) {
      process.stdout.write(`store ${storeId} not found: nothing deleted\n`);
      return 0;
    }
    const rows = Object.entries(report.rows ?? {}).map(([k, n]) => `${k} ${String(n)}`).join(', ');
    process.stdout.write(`deleted store ${storeId}: ${report.files} files; rows: ${rows}\n`);
    if (report.refused.length > 0) process.stdout.write(`left alone (outside the data directory): ${report.refused.join(', ')}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
