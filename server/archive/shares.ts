/**
 * Replay tokens (docs/archive.md §Tokens): who may read a session's archive over HTTP.
 *
 * - *share* tokens: persistent until revoked, stored only as sha256 hashes in the session's
 *   `shares.json` (`{"shares":[{"id","hash","created"}]}`, replaced atomically);
 * - *owner* tokens: minted for the owner, valid 12 h, kept in memory only;
 * - *rewind* tokens: minted for anyone in a live meeting, valid while that meeting is live
 *   (`isLive`), kept in memory only.
 * Of owner and rewind tokens a session keeps at most MAX_MEMORY_TOKENS each (minting more
 * forgets the oldest), so asking again and again never grows the server's memory unbounded.
 *
 * Every token names one session. `resolve` hashes whatever it is given and looks the hash
 * up in one map: a malformed, unknown, expired or revoked token all end in the same `null`.
 */
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { isSessionId, MAX_SHARES, OWNER_LINK_MS, REPLAY_TOKEN, type ArchiveShare } from "../../protocol/archive.ts";
import { replaceFile } from "./atomic-file.ts";

export const SHARES_FILE = "shares.json";

export type TokenKind = "owner" | "share" | "rewind";

interface Grant {
  session: string;
  kind: TokenKind;
  /** Unix ms (owner tokens). */
  expires?: number;
}

interface StoredShare {
  id: string;
  hash: string;
  created: string;
}

export interface ArchiveAccess {
  /** Reads every session's shares.json (once, at start). */
  load(): Promise<void>;
  mintOwner(session: string): { token: string; expires: string };
  /** A new share token, its hash stored in the session's shares.json. */
  share(session: string): Promise<{ token: string; id: string }>;
  shares(session: string): Promise<ArchiveShare[]>;
  /** Revokes one share by id; false when the session has no such share. */
  unshare(session: string, id: string): Promise<boolean>;
  mintRewind(session: string): string;
  /** Forgets every token of the session (it was deleted). */
  revokeAll(session: string): void;
  /** Forgets the session's rewind tokens (its meeting ended). */
  forgetRewinds(session: string): void;
  /** The session a valid token names, else null (the same null for every reason). */
  resolve(token: string): { session: string; kind: TokenKind } | null;
}

/** Owner and rewind tokens one session keeps at most, each: minting more forgets the oldest. */
export const MAX_MEMORY_TOKENS = 1000;

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");
const newToken = (): string => REPLAY_TOKEN.prefix + randomBytes(REPLAY_TOKEN.bits / 8).toString("hex");

export function createArchiveAccess({ archivesDir, isLive, log, now = Date.now }: { archivesDir: string; isLive: (session: string) => boolean; log: Logger; now?: () => number }): ArchiveAccess {
  const grants = new Map<string, Grant>();
  /** Per session and kind, the in-memory tokens' hashes, oldest first (to bound them). */
  const minted = new Map<string, string[]>();

  function remember(session: string, kind: "owner" | "rewind", grant: Grant): string {
    const token = newToken();
    const hash = hashToken(token);
    grants.set(hash, grant);
    const key = `${kind} ${session}`;
    const list = (minted.get(key) ?? minted.set(key, []).get(key)!).filter((h) => grants.has(h));
    list.push(hash);
    while (list.length > MAX_MEMORY_TOKENS) grants.delete(list.shift()!);
    minted.set(key, list);
    return token;
  }
  /** Per session: its writes to shares.json, one at a time. */
  const queues = new Map<string, Promise<unknown>>();

  const file = (session: string) => path.join(archivesDir, session, SHARES_FILE);

  async function readShares(session: string): Promise<StoredShare[]> {
    let text: string;
    try {
      text = await readFile(file(session), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    try {
      const v = JSON.parse(text) as { shares?: unknown };
      if (!Array.isArray(v.shares)) throw new Error("no shares list");
      return v.shares.filter(
        (s): s is StoredShare => typeof s === "object" && s !== null && /^[0-9a-f]{64}$/.test(String((s as StoredShare).hash)) && typeof (s as StoredShare).created === "string",
      ).map((s) => ({ id: s.hash.slice(0, 16), hash: s.hash, created: s.created }));
    } catch (err) {
      log.error({ session, err: (err as Error).message }, `${SHARES_FILE} does not parse: its share links do not work until it is repaired`);
      return [];
    }
  }

  /** Reads, changes and replaces the session's shares.json, one change at a time. */
  function change<T>(session: string, f: (shares: StoredShare[]) => { shares: StoredShare[]; result: T }): Promise<T> {
    const run = (queues.get(session) ?? Promise.resolve()).then(async () => {
      const { shares, result } = f(await readShares(session));
      await replaceFile(file(session), JSON.stringify({ shares }, null, 2) + "\n");
      return result;
    });
    queues.set(session, run.catch(() => undefined));
    return run;
  }

  return {
    async load() {
      let names: string[];
      try {
        names = await readdir(archivesDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      let n = 0;
      for (const session of names) {
        if (!isSessionId(session)) continue;
        for (const s of await readShares(session).catch(() => [])) {
          grants.set(s.hash, { session, kind: "share" });
          n++;
        }
      }
      log.info({ shares: n }, "share links loaded");
    },
    mintOwner(session) {
      const expires = now() + OWNER_LINK_MS;
      const token = remember(session, "owner", { session, kind: "owner", expires });
      return { token, expires: new Date(expires).toISOString() };
    },
    async share(session) {
      const token = newToken();
      const hash = hashToken(token);
      await change(session, (shares) => {
        // At most MAX_SHARES: the oldest goes.
        const kept = shares.slice(Math.max(0, shares.length - MAX_SHARES + 1));
        for (const gone of shares.slice(0, shares.length - kept.length)) grants.delete(gone.hash);
        return { shares: [...kept, { id: hash.slice(0, 16), hash, created: new Date(now()).toISOString() }], result: undefined };
      });
      grants.set(hash, { session, kind: "share" });
      return { token, id: hash.slice(0, 16) };
    },
    async shares(session) {
      return (await readShares(session)).map(({ id, created }) => ({ id, created }));
    },
    unshare(session, id) {
      return change(session, (shares) => {
        const gone = shares.filter((s) => s.id === id);
        for (const s of gone) grants.delete(s.hash);
        return { shares: shares.filter((s) => s.id !== id), result: gone.length > 0 };
      });
    },
    mintRewind(session) {
      return remember(session, "rewind", { session, kind: "rewind" });
    },
    revokeAll(session) {
      for (const [h, g] of grants) if (g.session === session) grants.delete(h);
      minted.delete(`owner ${session}`);
      minted.delete(`rewind ${session}`);
    },
    forgetRewinds(session) {
      for (const h of minted.get(`rewind ${session}`) ?? []) grants.delete(h);
      minted.delete(`rewind ${session}`);
    },
    resolve(token) {
      const g = grants.get(hashToken(String(token).slice(0, 200)));
      if (!g) return null;
      if (g.kind === "owner" && g.expires! <= now()) return null; // forgotten as newer ones are minted
      if (g.kind === "rewind" && !isLive(g.session)) return null;
      return { session: g.session, kind: g.kind };
    },
  };
}
