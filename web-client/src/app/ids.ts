/**
 * Random ids without crypto.randomUUID: a LAN origin over plain http is not a secure
 * context, and randomUUID is missing there (FACTS.md). getRandomValues works everywhere.
 */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export function randomId(length = 10): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return s;
}
