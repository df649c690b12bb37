/**
 * Base64 (RFC 4648 §4, padded) over Uint8Array with atob/btoa, so it runs in browsers and
 * Node alike without Buffer. Decoding is strict: anything but the alphabet, correct
 * padding and ASCII whitespace (ignored, for wrapped text) is refused.
 */

const CHUNK = 0x8000;
const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Encodes bytes as padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Decodes padded base64; null when the text is not valid base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/[\t\n\r ]+/g, "");
  if (!STRICT.test(compact)) return null;
  const binary = atob(compact);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
