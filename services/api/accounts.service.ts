// Account administration used by `sopwatch user` (and tests): add, list and disable users. No default accounts exist.
import { InputError, UsageError } from '../core/errors.ts';
import { AuditRepository, DatabaseError, type Database } from '../core/storage/index.ts';
import { StoreRepository, type Store } from '../core/storage/stores.repository.ts';
import { ROLES, UserRepository, type Role, type User } from '../core/storage/users.repository.ts';
import { checkPasswordPolicy, generatePassword, hashPassword, type ScryptParams } from './auth/password.ts';

export interface AddUserInput {
  email: string;
  role: Role;
  /** Required for owners (they see every store of it); used to find stores by name for the others. */
  franchise?: string;
  /** Store ids or names. An owner's unknown store name is created in the franchise (first start). */
  stores?: readonly string[];
  /** Absent: one is generated and returned once. */
  password?: string;
  /** Who did it, for the audit log. */
  actor?: string;
  /**
   * The password hash's cost; default DEFAULT_SCRYPT. Test fixtures seed their accounts cheaper (a hash carries its
   * parameters, so signing in checks at the same cost); `sopwatch user add` and the API never set it.
   */
  hashing?: ScryptParams;
}

export interface AddUserResult {
  user: User;
  /** Only when generated: shown once, never stored in clear. */
  generatedPassword?: string;
  stores: Store[];
  createdStores: Store[];
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export async function addUser(db: Database, input: AddUserInput): Promise<AddUserResult> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new UsageError(`"${input.email}" is not an email address`);
  if (!ROLES.includes(input.role)) throw new UsageError(`role must be one of ${ROLES.join(', ')}`);
  const franchise = input.franchise?.trim();
  if (input.role === 'owner' && !franchise) throw new UsageError('an owner needs --franchise: they see every store of it');
  const wanted = input.stores ?? [];
  if (input.role !== 'owner' && wanted.length === 0) throw new UsageError(`a ${input.role} needs at least one --store`);
  const generatedPassword = input.password === undefined ? generatePassword() : undefined;
  const password = generatedPassword ?? input.password ?? '';
  checkPasswordPolicy(password);

  const storesRepo = new StoreRepository(db);
  const stores: Store[] = [];
  const createdStores: Store[] = [];
  for (const key of wanted) {
    const found = franchise ? await storesRepo.findInFranchise(franchise, key) : await storesRepo.get(key);
    if (found) {
      stores.push(found);
    } else if (input.role === 'owner' && franchise) {
      const created = await storesRepo.create({ name: key, franchise });
      stores.push(created);
      createdStores.push(created);
    } else {
      throw new UsageError(`no store "${key}"${franchise ? ` in franchise "${franchise}"` : ''} (give its id, or its name with --franchise)`);
    }
  }
  let user: User;
  try {
    user = await new UserRepository(db).create({
      email,
      passwordHash: await hashPassword(password, input.hashing),
      role: input.role,
      ...(franchise ? { franchise } : {}),
      storeIds: input.role === 'owner' ? [] : stores.map((s) => s.id),
    });
  } catch (err) {
    if (err instanceof DatabaseError && err.code === '23505') throw new InputError(`a user with email ${email} already exists`, { cause: err });
    throw err;
  }
  const audit = new AuditRepository(db);
  for (const s of createdStores) await audit.append({ actor: input.actor ?? 'cli', storeId: s.id, action: 'store.create', target: s.id });
  await audit.append({ actor: input.actor ?? 'cli', action: 'user.add', target: user.id, detail: { role: user.role, stores: stores.map((s) => s.id) } });
  return { user, stores, createdStores, ...(generatedPassword === undefined ? {} : { generatedPassword }) };
}

/** Disables a user and revokes their sessions at once. */
export async function disableUser(db: Database, email: string, actor = 'cli'): Promise<User> {
  const users = new UserRepository(db);
  const found = await users.findByEmail(email);
  if (!found) throw new UsageError(`no user with email ${email}`);
  const user = await users.disable(found.id);
  await new AuditRepository(db).append({ actor, action: 'user.disable', target: user.id });
  return user;
}
