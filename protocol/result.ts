/** Constructors for the protocol layer's Result values (errors are values, never throws). */

import type { ErrorCode } from "./errors.ts";
import type { ProtocolError } from "./types.ts";

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string, path?: string): { ok: false; error: ProtocolError } {
  const error: ProtocolError = path === undefined ? { code, message } : { code, message, path };
  return { ok: false, error };
}

