import { createHash } from 'node:crypto';
import { readCommitPolicy, type CommitPolicy } from '../repositories/commit-policy-settings.js';
import { readScope, type RepositoryScope } from '../installations/repository-scope.js';
import { ConditionFailedError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import { outboxOperation } from './event-outbox.js';
import { keys, prefixes } from './keys.js';
import { ITEM_ABSENT, type Table, type TransactOperation } from './table.js';

/** The installation was uninstalled (a tombstone is kept): nothing may link or describe it again. */
export class InstallationDeletedError extends Error {
  constructor() {
    super('The installation was deleted.');
    this.name = 'InstallationDeletedError';
  }
}

/**
 * What GitHub says of the installation, hashed: two events with the same `updated_at` (GitHub's has
 * whole seconds) describe the same state only if these agree. Stored beside the details.
 */
function sourceDigest(details: InstallationDetails): string {
  const sorted = (record: Record<string, string>) =>
    Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256')
    .update(
      JSON.stringify([
        details.accountId,
        details.accountLogin,
        details.accountType,
        details.repositorySelection,
        sorted(details.permissions),
        [...details.events].sort(),
        details.suspendedAt,
      ]),
    )
    .digest('base64url');
}

/** Tombstones outlive any redelivery or late event by far (installation ids are never reused). */
const TOMBSTONE_TTL_SECONDS = 90 * 24 * 3600;
/** A confirmation request is worked off within one reconciler schedule; kept this long at most. */
const CONFIRM_REQUEST_TTL_SECONDS = 30 * 24 * 3600;

/** A confirmation with GitHub asked for and not yet done (`InstallationStore.confirmationRequest`). */
export type ConfirmationRequest = { installationId: number; requestedAt: string };

/**
 * The stored details a write expects to find (their `updatedAt`, which every write of them sets), or
 * `absent`: the write commits only over what the caller read (events derived from that read stay true).
 */
export type ExpectedDetails = { updatedAt: string } | 'absent';

/** DynamoDB's limit of operations in one transaction. */
const MAX_TRANSACTION_ITEMS = 100;

function withExpected(
  condition: { expression: string; values?: Record<string, unknown> },
  expect: ExpectedDetails | undefined,
) {
  if (expect === undefined) return condition;
  if (expect === 'absent')
    return { ...condition, expression: `(${condition.expression}) AND attribute_not_exists(PK)` };
  return {
    expression: `(${condition.expression}) AND updatedAt = :expectedUpdatedAt`,
    values: { ...condition.values, ':expectedUpdatedAt': expect.updatedAt },
  };
}

/** What the service keeps of a GitHub App installation (from GitHub's installation object). */
export type InstallationDetails = {
  id: number;
  accountId: number;
  accountLogin: string;
  accountType: 'User' | 'Organization';
  accountAvatarUrl: string | null;
  repositorySelection: 'all' | 'selected';
  permissions: Record<string, string>;
  events: string[];
  suspendedAt: string | null;
  appSlug: string;
  /** GitHub's `updated_at` for the installation: events older than what is stored are not applied. */
  sourceUpdatedAt: string | null;
  updatedAt: string;
};

export type Link = {
  accountId: string;
  installationId: number;
  linkedBy: number;
  linkedAt: string;
  commitPolicy: CommitPolicy;
  /** The repositories the account reaches through this link; null: all the installation reaches. */
  scope: RepositoryScope | null;
};

/** Installations (`INSTALLATION#<id>`) and the many-to-many links between them and accounts. */
export class InstallationStore {
  constructor(private readonly table: Table) {}

  /**
   * Stores details just read from GitHub, unless the installation was deleted (its tombstone): a
   * deleted installation never comes back through a setup redirect. Throws InstallationDeletedError.
   */
  async putDetails(details: InstallationDetails): Promise<void> {
    try {
      await this.table.transactWrite([this.noTombstone(details.id), this.detailsPut(details)]);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new InstallationDeletedError();
      throw error;
    }
  }

  /**
   * Links the installation to the account in one transaction conditioned on there being no tombstone,
   * so a link can never be written beside a deletion; with `writeDetails` (details just read from
   * GitHub) the details are stored in the same transaction, and so are `events` (the outbox: written
   * only with a new link). `created` is false when the link already existed (then only fresh details
   * are written, no event). Throws InstallationDeletedError.
   */
  async linkWithDetails(
    details: InstallationDetails,
    accountId: string,
    linkedBy: number,
    options: {
      writeDetails: boolean;
      events?: readonly DomainEvent[];
      /** The new link's scope (null or absent: every repository); an existing link's is left as it is. */
      scope?: RepositoryScope | null;
    } = { writeDetails: true },
  ): Promise<{ created: boolean }> {
    const scoped = options.scope ? { scope: scopeItem(options.scope) } : {};
    const link = {
      put: {
        ...keys.link(accountId, details.id),
        accountId,
        installationId: details.id,
        linkedBy,
        linkedAt: new Date().toISOString(),
        ...scoped,
      },
      condition: ITEM_ABSENT,
    };
    // The link's twin in the installation's partition, in the same transaction (see deleteInstallation);
    // it carries the scope too, so a push is reported to the right accounts without reading each link.
    const twin = {
      put: {
        ...keys.installationLink(details.id, accountId),
        accountId,
        installationId: details.id,
        ...scoped,
      },
    };
    try {
      await this.table.transactWrite([
        this.noTombstone(details.id),
        ...(options.writeDetails ? [this.detailsPut(details)] : []),
        link,
        twin,
        ...(options.events ?? []).map((event) => outboxOperation(event)),
      ]);
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      if (error.failedOperations.includes(0)) throw new InstallationDeletedError();
    }
    // Already linked: only fresh details are stored (still never beside a tombstone).
    if (options.writeDetails) await this.putDetails(details);
    return { created: false };
  }

  private noTombstone(installationId: number) {
    return {
      check: keys.installationTombstone(installationId),
      condition: { expression: 'attribute_not_exists(PK)' },
    };
  }

  private detailsPut(details: InstallationDetails) {
    return { put: this.detailsItem(details) };
  }

  private detailsItem(details: InstallationDetails) {
    return { ...keys.installation(details.id), ...details, sourceDigest: sourceDigest(details) };
  }

  async getDetails(installationId: number): Promise<InstallationDetails | undefined> {
    const item = await this.table.get(keys.installation(installationId));
    if (!item) return undefined;
    const { PK: _pk, SK: _sk, sourceDigest: _digest, ...details } = item;
    return details as unknown as InstallationDetails;
  }

  /**
   * What a link needs to know, in one request: whether the installation was deleted (its tombstone),
   * its stored details, and whether the account already links it (and the link, if so).
   */
  async linkState(
    accountId: string,
    installationId: number,
  ): Promise<{
    deleted: boolean;
    details: InstallationDetails | undefined;
    linked: boolean;
    link: Link | undefined;
  }> {
    const tombstone = keys.installationTombstone(installationId);
    const meta = keys.installation(installationId);
    const link = keys.link(accountId, installationId);
    const items = await this.table.batchGet([tombstone, meta, link]);
    const find = (key: { PK: string; SK: string }) =>
      items.find((item) => item.PK === key.PK && item.SK === key.SK);
    const stored = find(meta);
    let details: InstallationDetails | undefined;
    if (stored) {
      const { PK: _pk, SK: _sk, sourceDigest: _digest, ...rest } = stored;
      details = rest as unknown as InstallationDetails;
    }
    const linkItem = find(link);
    return {
      deleted: find(tombstone) !== undefined,
      details,
      linked: linkItem !== undefined,
      link: linkItem ? toLink(linkItem) : undefined,
    };
  }

  /** The stored details of many installations in one request (absent ones are left out). */
  async getManyDetails(installationIds: readonly number[]): Promise<InstallationDetails[]> {
    if (installationIds.length === 0) return [];
    const items = await this.table.batchGet([...new Set(installationIds)].map((id) => keys.installation(id)));
    return items.map(
      ({ PK: _pk, SK: _sk, sourceDigest: _digest, ...details }) => details as unknown as InstallationDetails,
    );
  }

  /**
   * Stores what an event says of the installation, unless the installation was deleted or what is
   * stored is as new or newer (GitHub's `updated_at`): never older over newer. The same `updated_at`
   * passes only with the same content (a repeat); a different content at the same second is
   * ambiguous (which came last?): refused, unless `sameSecond` (the caller, told by `isAmbiguous`,
   * stores it and has GitHub confirm). False when not applied. `alongside`: writes that stand or fall
   * with it in the same transaction (the delivery's record); if one of those fails its condition, the
   * ConditionFailedError is thrown to the caller.
   */
  async applyEventDetails(
    details: InstallationDetails,
    alongside: readonly TransactOperation[] = [],
    options: { sameSecond?: boolean; expect?: ExpectedDetails } = {},
  ): Promise<boolean> {
    const item = this.detailsItem(details);
    const at = details.sourceUpdatedAt ?? '';
    const ordered = options.sameSecond
      ? { expression: 'sourceUpdatedAt = :at', values: { ':at': at } }
      : {
          expression:
            'attribute_not_exists(PK) OR attribute_not_exists(sourceUpdatedAt) OR sourceUpdatedAt < :at OR (sourceUpdatedAt = :at AND sourceDigest = :digest)',
          values: { ':at': at, ':digest': item.sourceDigest },
        };
    const condition = withExpected(ordered, options.expect);
    try {
      await this.table.transactWrite([...alongside, this.noTombstone(details.id), { put: item, condition }]);
      return true;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      if (error.failedOperations.some((index) => index < alongside.length)) throw error;
      return false;
    }
  }

  /**
   * After `applyEventDetails` refused `details`: whether the stored details carry the same `updated_at`
   * with another content (or a rename since), so only GitHub can say which is current. False when the
   * installation was deleted or what is stored is newer.
   */
  async isAmbiguous(details: InstallationDetails): Promise<boolean> {
    const [stored, tombstone] = await Promise.all([
      this.table.get(keys.installation(details.id)),
      this.table.get(keys.installationTombstone(details.id)),
    ]);
    if (!stored || tombstone) return false;
    return (
      stored.sourceUpdatedAt === (details.sourceUpdatedAt ?? '') &&
      stored.sourceDigest !== sourceDigest(details)
    );
  }

  /**
   * Details just read from GitHub (`GET /app/installations/{id}`): GitHub's current word, stored over
   * anything as new or older, on an installation the table describes and that was not deleted.
   * False when not stored (unknown, deleted, or something newer was stored meanwhile).
   */
  async confirmDetails(
    details: InstallationDetails,
    options: { alongside?: readonly TransactOperation[]; expect?: ExpectedDetails } = {},
  ): Promise<boolean> {
    try {
      await this.table.transactWrite([
        ...(options.alongside ?? []),
        this.noTombstone(details.id),
        {
          put: this.detailsItem(details),
          condition: withExpected(
            {
              expression:
                'attribute_exists(PK) AND (attribute_not_exists(sourceUpdatedAt) OR sourceUpdatedAt <= :at)',
              values: { ':at': details.sourceUpdatedAt ?? '' },
            },
            options.expect,
          ),
        },
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /**
   * installation_target.renamed: the account's new login, where the installation is known. A rename
   * carries no time to order it by: the stored content digest is dropped, so the caller's confirmation
   * with GitHub (and any event of the same `updated_at`) decides what is current.
   */
  async renameAccount(
    installationId: number,
    login: string,
    options: { alongside?: readonly TransactOperation[]; expect?: ExpectedDetails } = {},
  ): Promise<boolean> {
    try {
      await this.table.transactWrite([
        ...(options.alongside ?? []),
        {
          update: keys.installation(installationId),
          expression: 'SET accountLogin = :login, updatedAt = :now REMOVE sourceDigest',
          values: { ':login': login, ':now': new Date().toISOString() },
          condition: withExpected({ expression: 'attribute_exists(PK)' }, options.expect),
        },
        // The login stored may be an older one: GitHub is asked, and this request outlives a lost answer.
        this.confirmationRequest(installationId),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /**
   * A request to confirm the installation's details with GitHub, to write in the same transaction as
   * the details it questions: the asynchronous confirmation may be lost (Lambda drops an event after
   * its retries), this item is not. Settled by `settleConfirmation`; the reconciler's schedule confirms
   * whatever is left (`pendingConfirmations`).
   */
  confirmationRequest(installationId: number): TransactOperation {
    return {
      put: {
        ...keys.installationConfirmRequest(installationId),
        installationId,
        requestedAt: new Date().toISOString(),
        expiresAt: Math.floor(Date.now() / 1000) + CONFIRM_REQUEST_TTL_SECONDS,
      },
    };
  }

  /** Confirmations asked for and not yet settled. */
  async pendingConfirmations(): Promise<ConfirmationRequest[]> {
    const items = await this.table.queryPartition(
      keys.installationConfirmRequest(0).PK,
      prefixes.installationConfirmRequest,
    );
    return items.map((item) => ({
      installationId: Number(item.installationId),
      requestedAt: String(item.requestedAt),
    }));
  }

  /**
   * GitHub's word as read at `readAt` (ISO) was stored, or there was nothing to store (uninstalled):
   * the request is settled, unless it was asked for again after that read (then it stays for the
   * confirmation that answers it).
   */
  async settleConfirmation(installationId: number, readAt: string): Promise<void> {
    try {
      await this.table.delete(keys.installationConfirmRequest(installationId), {
        expression: 'requestedAt <= :readAt',
        values: { ':readAt': readAt },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  async isDeleted(installationId: number): Promise<boolean> {
    return (await this.table.get(keys.installationTombstone(installationId))) !== undefined;
  }

  /**
   * The App was uninstalled: unlink it from every account, forget its details and leave a tombstone.
   * Cached tokens are dropped by the caller. Returns how many links were removed.
   * Every link committed before the tombstone is found: the link transaction writes a twin in the
   * installation's partition, read here strongly consistently (GSI1, eventually consistent, may not show
   * a link written a moment ago; it is still read for links written before the twins existed). No link
   * commits after the tombstone (each is conditioned on its absence).
   * `report`: writes (the uninstall's event) committed in one transaction with the removal of the stored
   * details, given the details and the accounts linked before the uninstall; none when the details were
   * already gone (a redelivery after a partial run, or an installation the service never described).
   */
  async deleteInstallation(
    installationId: number,
    deletedAt: string,
    report?: (details: InstallationDetails, accountIds: string[]) => TransactOperation[],
  ): Promise<number> {
    await this.table.put({
      ...keys.installationTombstone(installationId),
      installationId,
      deletedAt,
      expiresAt: Math.floor(Date.now() / 1000) + TOMBSTONE_TTL_SECONDS,
    });
    const [details, accountIds] = await Promise.all([
      this.getDetails(installationId),
      this.linkedAccountIds(installationId),
    ]);
    const linkKeys = accountIds.flatMap((accountId) => [
      keys.link(accountId, installationId),
      keys.installationLink(installationId, accountId),
    ]);
    let rest = [...linkKeys, keys.installation(installationId)];
    if (details && report) {
      const reported = report(details, accountIds);
      // As many link removals as fit beside the details and the report (DynamoDB's 100 per transaction).
      const room = Math.max(0, MAX_TRANSACTION_ITEMS - 1 - reported.length);
      const first = linkKeys.slice(0, room - (room % 2));
      try {
        await this.table.transactWrite([
          { delete: keys.installation(installationId), condition: { expression: 'attribute_exists(PK)' } },
          ...reported,
          ...first.map((key) => ({ delete: key })),
        ]);
        rest = linkKeys.slice(first.length);
      } catch (error) {
        // Removed meanwhile (a concurrent copy of this delivery): that one reported it.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    await this.table.batchDelete(rest);
    return accountIds.length;
  }

  /**
   * Every account linked to the installation: the link twins in its partition (strongly consistent:
   * every link committed before the read) and GSI1 (links written before the twins existed). Two reads,
   * however many repositories or deliveries are involved.
   */
  async linkedAccountIds(installationId: number): Promise<string[]> {
    return [...(await this.linkedAccountScopes(installationId)).keys()];
  }

  /**
   * Every account linked to the installation (as linkedAccountIds, in the same two reads) with its link's
   * scope (null: every repository). The twin's scope is the one read strongly consistently, so it wins
   * over GSI1's copy of the link, which may lag a scope change by a moment.
   */
  async linkedAccountScopes(installationId: number): Promise<Map<string, RepositoryScope | null>> {
    const [twins, indexed] = await Promise.all([
      this.table.queryPartition(keys.installation(installationId).PK, prefixes.installationLink, {
        consistent: true,
      }),
      this.accountsOfInstallation(installationId),
    ]);
    const scopes = new Map<string, RepositoryScope | null>();
    for (const link of indexed) scopes.set(link.accountId, link.scope);
    for (const twin of twins) scopes.set(String(twin.accountId), storedScope(twin.scope));
    return scopes;
  }

  /**
   * The stored details (strongly consistent) and the accounts linked, read together: what an event of
   * a change to the installation is derived from and sent to. Pass `details.updatedAt` as `expect` to
   * the write so that it commits only over what was read.
   */
  async reportState(
    installationId: number,
  ): Promise<{ details: InstallationDetails | undefined; accountIds: string[] }> {
    const [details, accountIds] = await Promise.all([
      this.getDetails(installationId),
      this.linkedAccountIds(installationId),
    ]);
    return { details, accountIds };
  }

  /** Sets the link's commit policy; false when the account does not link the installation. */
  async setCommitPolicy(accountId: string, installationId: number, policy: CommitPolicy): Promise<boolean> {
    return this.updateLink(accountId, installationId, { commitPolicy: policy });
  }

  /**
   * Sets the link's scope (null: every repository) on the link and its twin, with `events` (the outbox);
   * false when the account does not link the installation (nothing written, no event).
   */
  async setScope(
    accountId: string,
    installationId: number,
    scope: RepositoryScope | null,
    events: readonly DomainEvent[] = [],
  ): Promise<boolean> {
    return this.updateLink(accountId, installationId, { scope }, events);
  }

  /**
   * Changes the link's settings in one transaction conditioned on the link existing: the commit policy
   * (the link item only) and the scope (null: REMOVE; written on the link and on its twin, which the
   * webhook reads), with `events`. False when the account does not link the installation.
   */
  async updateLink(
    accountId: string,
    installationId: number,
    change: { commitPolicy?: CommitPolicy; scope?: RepositoryScope | null },
    events: readonly DomainEvent[] = [],
  ): Promise<boolean> {
    const sets: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (change.commitPolicy !== undefined) {
      sets.push('#policy = :policy');
      names['#policy'] = 'commitPolicy';
      values[':policy'] = change.commitPolicy;
    }
    const twin: TransactOperation[] = [];
    if (change.scope !== undefined) {
      names['#scope'] = 'scope';
      if (change.scope === null) removes.push('#scope');
      else {
        sets.push('#scope = :scope');
        values[':scope'] = scopeItem(change.scope);
      }
      // The twin is written whole (ids too): a link older than the twins gets one, never a bare item.
      twin.push({
        update: keys.installationLink(installationId, accountId),
        expression: `SET accountId = :accountId, installationId = :installationId${
          change.scope === null ? ' REMOVE #scope' : ', #scope = :scope'
        }`,
        names: { '#scope': 'scope' },
        values: {
          ':accountId': accountId,
          ':installationId': installationId,
          ...(change.scope === null ? {} : { ':scope': scopeItem(change.scope) }),
        },
      });
    }
    if (sets.length === 0 && removes.length === 0) return this.isLinked(accountId, installationId);
    const expression = [
      ...(sets.length > 0 ? [`SET ${sets.join(', ')}`] : []),
      ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
    ].join(' ');
    try {
      await this.table.transactWrite([
        {
          update: keys.link(accountId, installationId),
          expression,
          names,
          ...(Object.keys(values).length > 0 ? { values } : {}),
          condition: { expression: 'attribute_exists(PK)' },
        },
        ...twin,
        ...events.map((event) => outboxOperation(event)),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /**
   * Removes the link and its twin together, with `events` (the outbox) when there was a link: false
   * when there was none (nothing written, no event).
   */
  async unlink(
    accountId: string,
    installationId: number,
    events: readonly DomainEvent[] = [],
  ): Promise<boolean> {
    try {
      await this.table.transactWrite([
        { delete: keys.link(accountId, installationId), condition: { expression: 'attribute_exists(PK)' } },
        { delete: keys.installationLink(installationId, accountId) },
        ...events.map((event) => outboxOperation(event)),
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async isLinked(accountId: string, installationId: number): Promise<boolean> {
    return (await this.table.get(keys.link(accountId, installationId))) !== undefined;
  }

  /** The account's links, from its own partition. */
  async linksOfAccount(accountId: string): Promise<Link[]> {
    const items = await this.table.queryPartition(keys.account(accountId).PK, prefixes.link);
    return items.map(toLink);
  }

  /** Every account an installation is linked to, through GSI1 (no scan). */
  async accountsOfInstallation(installationId: number): Promise<Link[]> {
    const items = await this.table.queryGsi1(keys.link('', installationId).GSI1PK, prefixes.account);
    return items.map(toLink);
  }
}

function toLink(item: Record<string, unknown>): Link {
  return {
    accountId: String(item.accountId),
    installationId: Number(item.installationId),
    linkedBy: Number(item.linkedBy),
    linkedAt: String(item.linkedAt),
    commitPolicy: readCommitPolicy(item.commitPolicy),
    scope: storedScope(item.scope),
  };
}

/** A link item's `scope` attribute: absent or null is every repository (links older than scopes). */
function storedScope(value: unknown): RepositoryScope | null {
  return value === undefined || value === null ? null : readScope(value);
}

/** The scope as stored on a link and its twin: plain lists (no sets: a set cannot be empty). */
function scopeItem(scope: RepositoryScope) {
  return { repositories: [...scope.repositories], patterns: [...scope.patterns] };
}
