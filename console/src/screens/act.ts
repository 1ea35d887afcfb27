import { useCallback, useState } from 'preact/hooks';
import { loginUrl } from '../api/client';
import { describeError, needsSignIn } from '../errors';
import { useSession } from '../session';

/**
 * Runs a user action (a button's POST/PUT/DELETE): `busy` while it runs, its error in words in the
 * page's live region, and a lost session or `reauthorization_required` back to sign-in, as useLoad
 * does for loads. Returns undefined when the action failed.
 */
export function useAction(): {
  busy: boolean;
  run: <T>(action: () => Promise<T>) => Promise<T | undefined>;
} {
  const { announce } = useSession();
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async <T>(action: () => Promise<T>): Promise<T | undefined> => {
      setBusy(true);
      try {
        return await action();
      } catch (error) {
        if (needsSignIn(error)) window.location.assign(loginUrl());
        else announce(describeError(error), 'error');
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [announce],
  );
  return { busy, run };
}
