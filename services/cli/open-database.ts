// The database for a one-off command: the embedded one says plainly when `sopwatch serve` holds it.
import { DatabaseLockedError, openDatabase, type Database } from '../core/storage/index.ts';

export async function openCommandDatabase(): Promise<Database> {
  try {
    return await openDatabase();
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      throw new DatabaseLockedError(`the embedded database is held by another process (is \`sopwatch serve\` running?): stop it first, or use DATABASE_URL. ${err.message}`, { cause: err });
    }
    throw err;
  }
}
