import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, ApiError, unwrap, type Schemas } from './api/client';
import { describeError } from './errors';
import { SessionContext, type Session } from './session';
import { onLinkClick, parseRoute, useLocation, type Route } from './router';
import { SignIn } from './screens/sign-in';
import { Home } from './screens/home';
import { NewAccount, AccountOverview } from './screens/accounts';
import { Members } from './screens/members';
import { MyInvitations } from './screens/invitations';
import { Installations } from './screens/installations';
import { Repositories, NewRepository } from './screens/repositories';
import { RepositoryView } from './screens/repository';
import { Activity } from './screens/activity';
import { Header } from './screens/header';
import { AccountNav } from './screens/account-nav';
import { InvalidPath, NotFound } from './screens/not-found';

type Me = { user: Schemas['User']; accounts: Schemas['Account'][] };
type MeState =
  | { status: 'loading' }
  | { status: 'signedOut' }
  | { status: 'signedIn'; me: Me }
  | { status: 'failed'; error: unknown };

export function App() {
  const location = useLocation();
  const route = parseRoute(location.pathname);
  const [me, setMe] = useState<MeState>({ status: 'loading' });
  const [message, setMessage] = useState<{ text: string; kind: 'info' | 'error'; path: string } | null>(null);

  const refresh = useCallback(async () => {
    try {
      setMe({ status: 'signedIn', me: await unwrap(api.GET('/me')) });
    } catch (error) {
      // 401 from /me is the normal signed-out answer, not an error.
      if (error instanceof ApiError && error.status === 401) setMe({ status: 'signedOut' });
      else setMe({ status: 'failed', error });
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);

  // A message belongs to the screen it was announced on: navigate first, then announce, and the
  // next screen shows it ("Created Team A" on the new account's page); leaving a screen clears it.
  const announce = useCallback(
    (text: string, kind: 'info' | 'error' = 'info') =>
      setMessage({ text, kind, path: window.location.pathname }),
    [],
  );
  useEffect(
    () => setMessage((current) => (current?.path === location.pathname ? current : null)),
    [location.pathname],
  );

  const session: Session | null = useMemo(
    () => (me.status === 'signedIn' ? { ...me.me, refresh, announce } : null),
    [me, refresh, announce],
  );

  // A crafted address is refused whatever the session: the screen says so and loads nothing.
  if (route.name === 'invalidPath')
    return (
      <Shell>
        <InvalidPath />
      </Shell>
    );
  if (me.status === 'loading')
    return (
      <Shell>
        <p aria-busy="true">Loading…</p>
      </Shell>
    );
  if (me.status === 'failed')
    return (
      <Shell>
        <p role="alert">{describeError(me.error)}</p>
      </Shell>
    );
  if (!session)
    return (
      <Shell>
        <SignIn />
      </Shell>
    );

  return (
    <SessionContext.Provider value={session}>
      <Header route={route} />
      <main id="main">
        <AccountNav route={route} />
        <div role="status" aria-live="polite" class={message ? `notice ${message.kind}` : 'notice empty'}>
          {message?.text}
        </div>
        <Screen route={route} />
      </main>
    </SessionContext.Provider>
  );
}

function Shell({ children }: { children: ComponentChildren }) {
  return (
    <main id="main" class="narrow">
      <h1>GitHub App console</h1>
      {children}
    </main>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'home':
    case 'signIn':
      return <Home />;
    case 'invitations':
      return <MyInvitations />;
    case 'newAccount':
      return <NewAccount />;
    case 'account':
      return <AccountOverview accountId={route.accountId} />;
    case 'members':
      return <Members accountId={route.accountId} />;
    case 'installations':
      return <Installations accountId={route.accountId} />;
    case 'repositories':
      return <Repositories accountId={route.accountId} />;
    case 'activity':
      return <Activity accountId={route.accountId} />;
    case 'newRepository':
      return <NewRepository accountId={route.accountId} />;
    case 'repository':
      return (
        <RepositoryView accountId={route.accountId} owner={route.owner} repo={route.repo} path={route.path} />
      );
    case 'invalidPath':
      return <InvalidPath />;
    case 'notFound':
      return <NotFound />;
  }
}
