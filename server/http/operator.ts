/**
 * Operators: whoever holds the token in `<data>/operator-token` (32 random bytes, base64url,
 * written at first start with mode 0600, so only the account running deckcast can read it).
 * Operator routes (GET /api/meetings) take it as `Authorization: Bearer <token>`; a missing
 * or wrong token is answered 401 with a stable code:
 *   {"error": {"code": "operator-token-required" | "operator-token-invalid", "message": …}}
 * Tokens are compared in constant time (both sides hashed to 32 bytes first, so not even
 * the length leaks).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { RequestHandler } from "express";

export const OPERATOR_TOKEN_FILE = "operator-token";
const TOKEN = /^[A-Za-z0-9_-]{43,256}$/;

/** Reads the operator token, creating it on first start; `fresh` when it was just made. */
export async function ensureOperatorToken(dataDir: string): Promise<{ token: string; path: string; fresh: boolean }> {
  const file = path.join(dataDir, OPERATOR_TOKEN_FILE);
  const existing = await readFile(file, "utf8").then((t) => t.trim(), (err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (existing !== null && TOKEN.test(existing)) {
    // A copy restored from a backup may have lost its mode: the token is a password.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return { token: existing, path: file, fresh: false };
  }
  const token = randomBytes(32).toString("base64url");
  // A file that is not a token (empty, cut short) is replaced; a fresh one is created exclusively.
  await writeFile(file, token + "\n", { mode: 0o600, flag: existing === null ? "wx" : "w" });
  await chmod(file, 0o600);
  return { token, path: file, fresh: true };
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Whether `header` (an Authorization header) carries `token` as a Bearer token. */
export function bearerMatches(header: string | undefined, token: string): "ok" | "missing" | "invalid" {
  const m = /^Bearer[ ]+(\S{1,1024})\s*$/i.exec(header ?? "");
  if (!m) return header ? "invalid" : "missing";
  return timingSafeEqual(digest(m[1]!), digest(token)) ? "ok" : "invalid";
}

/** Express middleware letting only operators through. */
export function requireOperator(token: string): RequestHandler {
  return (req, res, next) => {
    const verdict = bearerMatches(req.headers.authorization, token);
    if (verdict === "ok") return next();
    res.status(401).set("WWW-Authenticate", 'Bearer realm="deckcast"').set("Cache-Control", "no-store").json({
      error: verdict === "missing"
        ? { code: "operator-token-required", message: `Operators only: send the token from ${OPERATOR_TOKEN_FILE} in the data directory as "Authorization: Bearer <token>".` }
        : { code: "operator-token-invalid", message: "That operator token is not this server's." },
    });
  };
}
