// Sign-in: email and password; the answer is the same for every failure, and too many tries wait.
import { useState } from 'preact/hooks';
import type { Me } from '../../../services/api/schemas/auth.ts';
import { api, ApiError } from '../api.ts';
import { t } from '../i18n/index.ts';
import { ErrorNote } from '../components/ui.tsx';

export function SignIn({ onSignedIn, ended }: { onSignedIn: (me: Me) => void; ended: boolean }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api<Me>('POST', '/api/auth/login', { email, password }));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? new Error(t('signin.wrong')) : err);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <form class="signin-card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <div class="brand-mark" aria-hidden="true">sw</div>
        <h1 id="signin-title">{t('signin.title')}</h1>
        <p class="muted">{t('signin.lead')}</p>
        {ended && <p class="notice">{t('signin.ended')}</p>}
        <label class="field">
          <span>{t('signin.email')}</span>
          <input type="email" name="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} autofocus />
        </label>
        <label class="field">
          <span>{t('signin.password')}</span>
          <input type="password" name="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <ErrorNote error={error} />
        <button class="primary wide" type="submit" disabled={busy}>{busy ? t('signin.busy') : t('signin.submit')}</button>
        <p class="fineprint">{t('signin.privacy')}</p>
      </form>
    </main>
  );
}
