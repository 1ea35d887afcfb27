import { keys, prefixes } from './keys.js';
import type { Table } from './table.js';

export type StoredSession = { userId: number; createdAt: string; expiresAt: number };

/** Sessions, stored under a keyed hash of their id (the id itself never reaches the table). */
export class SessionStore {
  constructor(private readonly table: Table) {}

  async create(sessionHash: string, userId: number, expiresAtSeconds: number): Promise<void> {
    await this.table.put({
      ...keys.session(sessionHash),
      ...keys.sessionByUser(userId, sessionHash),
      userId,
      createdAt: new Date().toISOString(),
      expiresAt: expiresAtSeconds,
    });
  }

  async get(sessionHash: string): Promise<StoredSession | undefined> {
    const item = await this.table.get(keys.session(sessionHash));
    if (!item) return undefined;
    return {
      userId: Number(item.userId),
      createdAt: String(item.createdAt),
      expiresAt: Number(item.expiresAt),
    };
  }

  async delete(sessionHash: string): Promise<void> {
    await this.table.delete(keys.session(sessionHash));
  }

  /** Ends every session of a user (authorization revoked). */
  async deleteAllForUser(userId: number): Promise<number> {
    const sessions = await this.table.queryGsi1(keys.sessionByUser(userId, '').GSI1PK, prefixes.session);
    for (const session of sessions) await this.table.delete({ PK: session.PK, SK: session.SK });
    return sessions.length;
  }
}
