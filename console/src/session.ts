import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Schemas } from './api/client';

export interface Session {
  user: Schemas['User'];
  accounts: Schemas['Account'][];
  /** Reloads /me (after creating, renaming, leaving or deleting an account, accepting an invitation). */
  refresh: () => Promise<void>;
  /** Shows a message in the page's live region (screen readers hear it too). */
  announce: (message: string, kind?: 'info' | 'error') => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in screen');
  return session;
}
