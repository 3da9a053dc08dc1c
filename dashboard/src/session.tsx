// Who is signed in, which stores and cameras they may see, and which store the pages are scoped to.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from '../../services/api/schemas/auth.ts';
import type { Camera } from '../../services/api/schemas/camera.ts';
import type { Store } from '../../services/api/schemas/store.ts';
import { api, setCsrfToken } from './api.ts';

export interface Session {
  me: Me;
  stores: Store[];
  cameras: Camera[];
  /** '' = every store the account may see. */
  storeId: string;
}

export interface SessionApi {
  session: Session;
  setStoreId(id: string): void;
  signOut(): Promise<void>;
  /** Stores in scope: the chosen one, or all. */
  scope: Store[];
  canWrite: boolean;
  storeName(id: string): string;
  storeTz(id: string): string | undefined;
  cameraName(id: string): string;
  /** A camera just added from the dashboard joins the session's list. */
  addCamera(camera: Camera): void;
}

export const SessionContext = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (s === null) throw new Error('useSession outside a signed-in page');
  return s;
}

const STORE_KEY = 'sopwatch.storeId';

/** Everything a signed-in page needs, loaded once after sign-in (and after a reload with a live session). */
export async function loadSession(me: Me): Promise<Session> {
  setCsrfToken(me.csrfToken);
  const stores = await api<Store[]>('GET', '/api/stores');
  const cameras = (await Promise.all(stores.map((s) => api<Camera[]>('GET', `/api/stores/${encodeURIComponent(s.id)}/cameras`)))).flat();
  const remembered = localStorage.getItem(STORE_KEY) ?? '';
  const storeId = stores.some((s) => s.id === remembered) ? remembered : stores.length === 1 ? (stores[0]?.id ?? '') : '';
  return { me, stores, cameras, storeId };
}

export function rememberStore(id: string): void {
  localStorage.setItem(STORE_KEY, id);
}

export function sessionApi(session: Session, set: (s: Session) => void, signOut: () => Promise<void>): SessionApi {
  const stores = new Map(session.stores.map((s) => [s.id, s]));
  const cameras = new Map(session.cameras.map((c) => [c.id, c]));
  return {
    session,
    setStoreId: (id) => {
      rememberStore(id);
      set({ ...session, storeId: id });
    },
    signOut,
    scope: session.storeId === '' ? session.stores : session.stores.filter((s) => s.id === session.storeId),
    canWrite: session.me.role !== 'auditor',
    storeName: (id) => stores.get(id)?.name ?? id,
    storeTz: (id) => stores.get(id)?.tz,
    cameraName: (id) => cameras.get(id)?.name ?? id.slice(0, 8),
    addCamera: (camera) => set({ ...session, cameras: [...session.cameras.filter((c) => c.id !== camera.id), camera] }),
  };
}
