/**
 * Login tokens on the wire (docs/protocol.md §Login tokens): the `<login-token/>` request an
 * account sends to its own server after a password login, the answer's token and expiry,
 * and `<revoke-token/>`. Prosody answers them (prosody/modules/mod_auth_deckcast_token.lua,
 * its numbers rendered from LOGIN_TOKEN by prosody/config.ts). Pure: no I/O; the reader
 * never throws on input.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "./namespaces.ts";

export const LOGIN_TOKEN = {
  /** How long a token is valid at most, and by default (12 hours). */
  maxSeconds: 12 * 60 * 60,
  /** Random bits in a token's secret. */
  bits: 256,
  /** Live tokens one account holds at most; a new one pushes out the oldest. */
  maxPerAccount: 20,
  /** Characters a token has: "dct1-", 16 hex digits of id, "-", bits/4 hex digits of secret. */
  length: 5 + 16 + 1 + 256 / 4,
} as const;

/**
 * Failed account logins one address may make: a bucket of `burst`, refilled whole in
 * `windowSeconds`. Past it the server answers SASL `temporary-auth-failure` before it reads the
 * credentials (prosody/modules/mod_auth_deckcast_token.lua), so a password cannot be guessed
 * faster than that from one address.
 */
export const LOGIN_FAILURES = { burst: 10, windowSeconds: 60 } as const;

const TOKEN_RE = /^dct1-[0-9a-f]{16}-[0-9a-f]{64}$/;

/** True for a string shaped like a deckcast login token (says nothing about its validity). */
export function isLoginToken(s: unknown): s is string {
  return typeof s === "string" && TOKEN_RE.test(s);
}

/** `<iq type="set" to=accountDomain>` payload asking for a token (`seconds` ≤ LOGIN_TOKEN.maxSeconds). */
export function loginTokenRequest(seconds?: number): Element {
  return xml("login-token", { xmlns: NS.deckcast, ...(seconds !== undefined ? { seconds: String(seconds) } : {}) });
}

/** `<iq type="set" to=accountDomain>` payload revoking one token, or all of the account's. */
export function revokeTokenRequest(which: { token: string } | { all: true }): Element {
  return xml("revoke-token", { xmlns: NS.deckcast, ...("token" in which ? { token: which.token } : { all: "true" }) });
}

export interface IssuedToken {
  token: string;
  /** Unix ms after which the server refuses it. */
  expires: number;
}

/** Reads the IQ result (or its `<login-token>` child); null when it is not a usable answer. */
export function readLoginToken(el: Element): IssuedToken | null {
  const t = el.name === "login-token" ? el : el.getChild("login-token", NS.deckcast);
  if (!t || t.attrs.xmlns !== NS.deckcast) return null;
  const token = t.attrs.token;
  const expires = Number(t.attrs.expires);
  if (!isLoginToken(token) || !Number.isSafeInteger(expires) || expires <= 0) return null;
  return { token, expires };
}
