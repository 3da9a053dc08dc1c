// `sopwatch user add|list|disable`: accounts. A password is read from stdin or generated and printed once.
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { openDatabase } from '../core/storage/index.ts';
import { UserRepository, ROLES, type Role } from '../core/storage/users.repository.ts';
import { addUser, disableUser } from '../api/index.ts';

const HELP = `Usage:
  sopwatch user add --email E --role owner|manager|auditor [--franchise F] [--store S ...] [--password-stdin]
  sopwatch user list
  sopwatch user disable --email E

add: an owner sees every store of franchise F (--store names a store to create or find in it);
     a manager or auditor sees the --store stores (ids, or names within --franchise).
     With --password-stdin the password is read from standard input (at least 12 characters);
     otherwise one is generated and printed once. There is no default password.
disable: signs the user out everywhere and refuses new sign-ins.
With the embedded database, run this while \`sopwatch serve\` is stopped (one process owns the directory).`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      franchise: { type: 'string' },
      store: { type: 'string', multiple: true },
      'password-stdin': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  const db = await openDatabase();
  try {
    switch (sub) {
      case 'add': {
        if (values.email === undefined || values.role === undefined) throw new UsageError(`--email and --role are required\n\n${HELP}`);
        if (!(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const password = values['password-stdin'] ? await readStdin() : undefined;
        const result = await addUser(db, {
          email: values.email, role: values.role as Role,
          ...(values.franchise === undefined ? {} : { franchise: values.franchise }),
          ...(values.store === undefined ? {} : { stores: values.store }),
          ...(password === undefined ? {} : { password }),
        });
        for (const s of result.createdStores) process.stdout.write(`created store ${s.name} (${s.id}) in franchise ${s.franchise ?? ''}\n`);
        process.stdout.write(`added ${result.user.role} ${result.user.email} (${result.user.id})\n`);
        if (result.generatedPassword !== undefined) {
          process.stdout.write(`password: ${result.generatedPassword}\n(shown once: it is stored only as a hash)\n`);
        }
        return 0;
      }
      case 'list':
        for (const u of await new UserRepository(db).list()) {
          process.stdout.write(`${u.email}\t${u.role}\t${u.franchise ?? '-'}\t${u.disabledAt === null ? 'active' : 'disabled'}\n`);
        }
        return 0;
      case 'disable': {
        if (values.email === undefined) throw new UsageError('--email is required');
        const user = await disableUser(db, values.email);
        process.stdout.write(`disabled ${user.email}; every session of it is revoked\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand "${sub}"\n\n${HELP}`);
    }
  } finally {
    await db.close();
  }
}
