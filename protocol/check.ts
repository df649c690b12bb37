/**
 * Field checks shared by the event, bundle and state validators. A Checker records the
 * first failure and keeps returning placeholders afterwards, so a validator can build its
 * whole object in one expression and ask `result(value)` at the end.
 *
 * Paths name the wire form: `bundle/page[2]@page` is the `page` attribute of the second
 * `<page>` child of `<bundle>`; `…/text()` is an element's text content.
 */

import type { ErrorCode } from "./errors.ts";
import { LIMITS } from "./namespaces.ts";
import { fail, ok } from "./result.ts";
import { INK_SCALE, type ProtocolError, type Result } from "./types.ts";

/** Where a value sits: its path and the name used in messages. */
export interface Loc { path: string; name: string }

export const attrAt = (path: string, name: string): Loc => ({ path: `${path}@${name}`, name });
export const textAt = (path: string, name: string): Loc => ({ path: `${path}/text()`, name });

/** Reads own properties only, so ids like "constructor" never reach Object.prototype. */
export type Getter = (key: string) => unknown;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function getter(o: Record<string, unknown>): Getter {
  return (key) => (Object.hasOwn(o, key) ? o[key] : undefined);
}

/** A short, quoted rendering of a value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (Array.isArray(v)) return "an array";
  if (v instanceof Uint8Array) return "bytes";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

const ID = /^[A-Za-z0-9_-]+$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const BARE_JID = /^(?:[^@/\s]+@)?[^@/\s]+$/u;
// Characters XML 1.0 cannot carry (or silently rewrites), and unpaired surrogates.
const BAD_CHAR = /[\u0000-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export class Checker {
  #error: ProtocolError | null = null;

  constructor(readonly code: ErrorCode) {}

  get failed(): boolean {
    return this.#error !== null;
  }

  /** Records a failure unless an earlier one was recorded. */
  fail(path: string, message: string): void {
    this.#error ??= fail(this.code, message, path).error;
  }

  /** The value when every check passed, else the first failure. */
  result<T>(value: T): Result<T> {
    return this.#error ? { ok: false, error: this.#error } : ok(value);
  }

  #missing(v: unknown, at: Loc): boolean {
    if (v !== undefined) return false;
    this.fail(at.path, `${at.name} is missing`);
    return true;
  }

  /** An integer in min..max (defaults: any non-negative safe integer). */
  int(v: unknown, at: Loc, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (this.#missing(v, at)) return min;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      this.fail(at.path, `${at.name} must be an integer, got ${describe(v)}`);
    } else if (v < min) {
      this.fail(at.path, min === 0 ? `${at.name} must not be negative, got ${v}` : `${at.name} must be ≥ ${min}, got ${v}`);
    } else if (v > max) {
      this.fail(at.path, `${at.name} must be ≤ ${max}, got ${v}`);
    } else {
      return v;
    }
    return min;
  }

  /** A page number, 1..LIMITS.maxPages. */
  page(v: unknown, at: Loc): number {
    return this.int(v, at, 1, LIMITS.maxPages);
  }

  /** A token of [A-Za-z0-9_-], 1..maxLen characters. */
  id(v: unknown, at: Loc, maxLen: number): string {
    if (this.#missing(v, at)) return "";
    if (typeof v !== "string" || !ID.test(v)) {
      this.fail(at.path, `${at.name} must be made of A-Z a-z 0-9 _ -, got ${describe(v)}`);
    } else if (v.length > maxLen) {
      this.fail(at.path, `${at.name} is ${v.length} characters; at most ${maxLen} allowed`);
    } else {
      return v;
    }
    return "";
  }

  /** Human text of at most maxLen code points that XML can carry unchanged. */
  text(v: unknown, at: Loc, maxLen: number, nonEmpty = false): string {
    if (this.#missing(v, at)) return "";
    if (typeof v !== "string") {
      this.fail(at.path, `${at.name} must be a string, got ${describe(v)}`);
      return "";
    }
    const bad = BAD_CHAR.exec(v);
    const length = bad ? 0 : [...v].length;
    if (bad) {
      const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      this.fail(at.path, `${at.name} contains a character XML cannot carry (U+${code})`);
    } else if (nonEmpty && length === 0) {
      this.fail(at.path, `${at.name} must not be empty`);
    } else if (length > maxLen) {
      this.fail(at.path, `${at.name} is ${length} characters; at most ${maxLen} allowed`);
    } else {
      return v;
    }
    return "";
  }

  /** An occupant nick: non-empty text of at most LIMITS.maxNick code points. */
  nick(v: unknown, at: Loc): string {
    return this.text(v, at, LIMITS.maxNick, true);
  }

  /**
   * A bare JID (`local@domain` or `domain`): text of at most LIMITS.maxJid code points, no
   * white space, no resource (`/`), at most one `@` with something on both sides.
   */
  jid(v: unknown, at: Loc): string {
    const s = this.text(v, at, LIMITS.maxJid, true);
    if (this.failed || BARE_JID.test(s)) return s;
    this.fail(at.path, `${at.name} must be a bare JID (local@domain, no resource), got ${describe(s)}`);
    return "";
  }

  oneOf<T extends string>(v: unknown, at: Loc, options: readonly T[]): T {
    if (this.#missing(v, at)) return options[0] as T;
    if (typeof v === "string" && (options as readonly string[]).includes(v)) return v as T;
    this.fail(at.path, `${at.name} must be one of ${options.join(", ")}; got ${describe(v)}`);
    return options[0] as T;
  }

  /** "#rrggbb" in either case; returned in lowercase. */
  color(v: unknown, at: Loc): string {
    if (this.#missing(v, at)) return "";
    if (typeof v === "string" && COLOR.test(v)) return v.toLowerCase();
    this.fail(at.path, `${at.name} must be #rrggbb, got ${describe(v)}`);
    return "";
  }

  /** A sha256 content address: 64 lowercase hex digits. */
  hex64(v: unknown, at: Loc): string {
    if (this.#missing(v, at)) return "";
    if (typeof v === "string" && HEX64.test(v)) return v;
    this.fail(at.path, `${at.name} must be 64 lowercase hex digits, got ${describe(v)}`);
    return "";
  }

  /** Flat [x0,y0,x1,y1,…]: at least one point, integers in 0..INK_SCALE. Returns a copy. */
  points(v: unknown, at: Loc): number[] {
    if (this.#missing(v, at)) return [];
    if (!Array.isArray(v)) {
      this.fail(at.path, `${at.name} must be an array of coordinates, got ${describe(v)}`);
    } else if (v.length === 0) {
      this.fail(at.path, `${at.name} must hold at least one point`);
    } else if (v.length % 2 !== 0) {
      this.fail(at.path, `${at.name} has an odd number of coordinates (${v.length})`);
    } else if (v.length > LIMITS.maxPointNumbers) {
      this.fail(at.path, `${at.name} has ${v.length} coordinates; at most ${LIMITS.maxPointNumbers} allowed`);
    } else {
      const i = v.findIndex((n: unknown) => typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > INK_SCALE);
      if (i < 0) return v.slice() as number[];
      this.fail(at.path, `${at.name}: coordinate ${i + 1} must be an integer in 0..${INK_SCALE}, got ${describe(v[i])}`);
    }
    return [];
  }

  /** A non-empty list of ids, at most maxItems long. Returns a copy. */
  idList(v: unknown, at: Loc, maxLen: number, maxItems: number): string[] {
    if (this.#missing(v, at)) return [];
    if (!Array.isArray(v) || v.length === 0) {
      this.fail(at.path, `${at.name} must list at least one id, got ${describe(v)}`);
    } else if (v.length > maxItems) {
      this.fail(at.path, `${at.name} lists ${v.length} ids; at most ${maxItems} allowed`);
    } else {
      return v.map((id: unknown) => this.id(id, at, maxLen));
    }
    return [];
  }
}
