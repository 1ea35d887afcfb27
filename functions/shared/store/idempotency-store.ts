import { randomUUID } from 'node:crypto';
import { ConditionFailedError } from '../errors.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

/** How long a finished request's answer is replayed for its key (the IETF draft suggests at least 24 h). */
export const IDEMPOTENCY_KEEP_SECONDS = 24 * 3600;

/** What is replayed: the status and the JSON body, nothing else (no cookies, no headers). */
export type StoredAnswer = { statusCode: number; body: string | undefined };

export type Begun =
  /** The key is ours: run the request, then `complete` or `release` with `claim`. */
  | { kind: 'claimed'; claim: string }
  /** The same request finished before: answer with what it answered. */
  | { kind: 'replay'; answer: StoredAnswer }
  /** The same request is running now (its claim has not expired): come back later. */
  | { kind: 'in_progress' }
  /** The key was used for another request (another route, path or body). */
  | { kind: 'reused' };

type Record = {
  PK: string;
  SK: string;
  state: 'in_progress' | 'done';
  fingerprint: string;
  claim: string;
  expiresAt: number;
  statusCode?: number;
  body?: string;
};

/**
 * Idempotency keys (docs/idempotency.md), one item per caller and key. A claim is an `in_progress` item
 * that expires when the request could no longer be running (`lockSeconds`, a little over the function's
 * timeout), so a crash never holds a key for long; a finished request's answer is kept 24 h. Expiry is
 * the table's TTL attribute, and every read and condition here treats an expired item as absent (TTL
 * deletes late).
 */
export class IdempotencyStore {
  constructor(
    private readonly table: Table,
    /** Epoch seconds; injectable so tests can move time. */
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async begin(userId: number, keyDigest: string, fingerprint: string, lockSeconds: number): Promise<Begun> {
    const key = keys.idempotencyKey(userId, keyDigest);
    // Twice at most: an item that expired or was released between our write and our read is gone.
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const claim = randomUUID();
      try {
        await this.table.put(
          { ...key, state: 'in_progress', fingerprint, claim, expiresAt: now + lockSeconds },
          {
            expression: 'attribute_not_exists(PK) OR expiresAt <= :now',
            values: { ':now': now },
          },
        );
        return { kind: 'claimed', claim };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      const found = await this.table.get<Record>(key);
      if (found === undefined) {
        if (attempt < 2) continue;
        return { kind: 'in_progress' };
      }
      if (found.fingerprint !== fingerprint) return { kind: 'reused' };
      if (found.state === 'done' && typeof found.statusCode === 'number')
        return { kind: 'replay', answer: { statusCode: found.statusCode, body: found.body } };
      return { kind: 'in_progress' };
    }
  }

  /** Keeps the answer for 24 h; false when the claim was lost meanwhile (expired and taken over). */
  async complete(userId: number, keyDigest: string, claim: string, answer: StoredAnswer): Promise<boolean> {
    try {
      await this.table.update(
        keys.idempotencyKey(userId, keyDigest),
        {
          expression:
            answer.body === undefined
              ? 'SET #state = :done, #status = :status, #expires = :expires'
              : 'SET #state = :done, #status = :status, #body = :body, #expires = :expires',
          // Names throughout: some of these words are reserved in DynamoDB's expressions.
          names: {
            '#state': 'state',
            '#status': 'statusCode',
            '#expires': 'expiresAt',
            ...(answer.body === undefined ? {} : { '#body': 'body' }),
          },
          values: {
            ':done': 'done',
            ':status': answer.statusCode,
            ':expires': this.now() + IDEMPOTENCY_KEEP_SECONDS,
            ...(answer.body === undefined ? {} : { ':body': answer.body }),
          },
        },
        {
          expression: '#claim = :claim AND #state = :progress',
          names: { '#claim': 'claim' },
          values: { ':claim': claim, ':progress': 'in_progress' },
        },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** Forgets the claim (the request failed on our side): the next request with the key runs again. */
  async release(userId: number, keyDigest: string, claim: string): Promise<void> {
    try {
      await this.table.delete(keys.idempotencyKey(userId, keyDigest), {
        expression: '#claim = :claim',
        names: { '#claim': 'claim' },
        values: { ':claim': claim },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
