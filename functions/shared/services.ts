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
import { AccountStore } from './store/account-store.js';
import { ActivityStore } from './store/activity-store.js';
import { DeliveryStore } from './store/delivery-store.js';
import { IdempotencyStore } from './store/idempotency-store.js';
import { InstallationStore } from './store/installation-store.js';
import { InvitationStore } from './store/invitation-store.js';
import { OAuthStateStore } from './store/oauth-state-store.js';
import { RedeliveryStore } from './store/redelivery-store.js';
import { RepoCreationStore } from './store/repo-creation-store.js';
import { RepositoryIndexStore } from './store/repository-index-store.js';
import { RepositorySyncStore } from './store/repository-sync-store.js';
import { ServiceAccessStore } from './store/service-access-store.js';
import { SessionStore } from './store/session-store.js';
import { getTable, type Table } from './store/table.js';
import { UserStore } from './store/user-store.js';
import { VendAuditStore } from './store/vend-audit-store.js';

/**
 * Everything a handler needs, built once per container on first use: every store of the table comes
 * from here (tests build their own, with a clock of their choosing).
 */
export type Services = {
  config: Config;
  table: Table;
  users: UserStore;
  sessions: SessionStore;
  states: OAuthStateStore;
  accounts: AccountStore;
  activity: ActivityStore;
  invitations: InvitationStore;
  installations: InstallationStore;
  deliveries: DeliveryStore;
  redeliveries: RedeliveryStore;
  repositoryIndex: RepositoryIndexStore;
  repositorySync: RepositorySyncStore;
  serviceAccess: ServiceAccessStore;
  vendAudit: VendAuditStore;
  repoCreations: RepoCreationStore;
  idempotency: IdempotencyStore;
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
    accounts: new AccountStore(table),
    activity: new ActivityStore(table),
    invitations: new InvitationStore(table),
    installations: new InstallationStore(table),
    deliveries: new DeliveryStore(table),
    redeliveries: new RedeliveryStore(table),
    repositoryIndex: new RepositoryIndexStore(table),
    repositorySync: new RepositorySyncStore(table),
    serviceAccess: new ServiceAccessStore(table),
    vendAudit: new VendAuditStore(table),
    repoCreations: new RepoCreationStore(table),
    idempotency: new IdempotencyStore(table),
    // Built on first use (and kept by getGitHubRequest): the webhook and GET /me never call GitHub.
    get github() {
      return getGitHubRequest();
    },
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

/**
 * Lambda's init: builds the container's services and starts reading the function's secrets while the
 * rest of the bundle loads and the runtime fetches the first event, so the first request finds them
 * read or in flight (docs/performance.md "Cold start: what was tried, and what is left"). Only in Lambda (AWS_LAMBDA_FUNCTION_NAME) and
 * only the secrets the stack gave this function (least privilege: configured means needed). One read
 * per container, not per request: requests that fail the cheap checks still cause no read
 * (test/e2e/cheap-checks.test.ts). A failure is left to the first request, which reads again and
 * answers with the error as it always has.
 */
export function prefetchAtInit(env: Record<string, string | undefined> = process.env): void {
  if (!env.AWS_LAMBDA_FUNCTION_NAME) return;
  try {
    const { config, secrets } = getServices();
    if (config.secrets.kind !== 'aws') return;
    const reads: Array<Promise<unknown>> = [];
    if (config.secrets.webhookSecretArn) reads.push(secrets.webhookSecrets());
    if (config.secrets.keysSecretArn) reads.push(secrets.serviceKeys());
    for (const read of reads) read.catch(() => undefined);
  } catch {
    // A bad configuration: the first request reports it.
  }
}

prefetchAtInit();
