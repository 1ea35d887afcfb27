import { getConfig, type Config } from './config.js';
import { SecretHasher } from './auth/secret-hash.js';
import { TokenCipher } from './crypto/token-cipher.js';
import { getGitHubRequest, type GitHubRequest } from './github/github.js';
import {
  getSecretsSource,
  resetSecretsSourceForTests,
  type SecretsSource,
  type ServiceKeys,
} from './secrets/index.js';
import { OAuthStateStore } from './store/oauth-state-store.js';
import { SessionStore } from './store/session-store.js';
import { getTable, type Table } from './store/table.js';
import { UserStore } from './store/user-store.js';

/** Everything a handler needs, built once per container on first use. */
export type Services = {
  config: Config;
  table: Table;
  users: UserStore;
  sessions: SessionStore;
  states: OAuthStateStore;
  github: GitHubRequest;
  secrets: SecretsSource;
};

let services: Services | undefined;

export function getServices(): Services {
  if (services) return services;
  const table = getTable();
  services = {
    config: getConfig(),
    table,
    users: new UserStore(table),
    sessions: new SessionStore(table),
    states: new OAuthStateStore(table),
    github: getGitHubRequest(),
    secrets: getSecretsSource(),
  };
  return services;
}

/**
 * `cipher` seals with the current key and opens with any known key; `sessionKey` hashes with the
 * current key and lists the hashes under every known key (secret-hash.ts).
 */
export type Crypto = { cipher: TokenCipher; sessionKey: SecretHasher };

let crypto: { keys: ServiceKeys; value: Crypto } | undefined;

/** The token cipher and session key (functions without access to the key material never call this). */
export async function getCrypto(): Promise<Crypto> {
  const keys = await getServices().secrets.serviceKeys();
  if (crypto?.keys !== keys)
    crypto = {
      keys,
      value: {
        cipher: new TokenCipher(
          { keyId: keys.current.keyId, key: keys.current.tokenEncryptionKey },
          keys.others.map((key) => ({ keyId: key.keyId, key: key.tokenEncryptionKey })),
        ),
        sessionKey: new SecretHasher(
          { keyId: keys.current.keyId, key: keys.current.sessionKey, legacy: keys.current.legacy },
          keys.others.map((key) => ({ keyId: key.keyId, key: key.sessionKey, legacy: key.legacy })),
        ),
      },
    };
  return crypto.value;
}

/** Tests: forget the secrets and what was built from them, as a restarted container would. */
export function resetServicesForTests(): void {
  services = undefined;
  crypto = undefined;
  resetSecretsSourceForTests();
}
