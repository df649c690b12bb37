/**
 * The security headers on every HTTP answer, and the Content-Security-Policy the web client
 * runs under. Each source the policy allows is there for something the client does:
 *
 *   default-src 'self'                 everything else: same origin only
 *   script-src 'self' 'wasm-unsafe-eval'   the bundle; opus-recorder's encoder worklet and
 *                                      decoder worker compile libopus (WebAssembly) at run time
 *   style-src 'self' 'unsafe-inline'   index.html's <style>, and lit templates that bind
 *                                      `style="…"` attributes (stage, toolbar, thumbnails);
 *                                      lit's own styles use adoptedStyleSheets
 *   img-src 'self' data: blob:         page images and thumbnails (blob: held thumbnails, offline); the data: favicon
 *   connect-src 'self' <public URL>    /api/config, /decks, uploads (to the public URL the
 *                                      slot names) and the XMPP WebSocket ('self' covers ws:
 *                                      to the same host in CSP 3; the public URL's ws/wss is
 *                                      listed for browsers that need it spelled out)
 *   worker-src 'self'                  the opus decoder worker (/opus-recorder/)
 *   media-src 'self'                   nothing today (audio plays through Web Audio)
 *   object-src 'none'; base-uri 'none'; form-action 'self'
 *   frame-ancestors 'none'             no page may frame deckcast (clickjacking "Make presenter")
 *
 * plus X-Frame-Options: DENY (older browsers), X-Content-Type-Options: nosniff and
 * Referrer-Policy: no-referrer (join links carry the meeting code in their path).
 */
import type { RequestHandler } from "express";

/** The policy for a server reached at `publicUrl` (null: the page's own origin only). */
export function contentSecurityPolicy(publicUrl?: string | null): string {
  const connect = ["'self'"];
  if (publicUrl) {
    try {
      const u = new URL(publicUrl);
      if (u.protocol === "http:" || u.protocol === "https:") {
        connect.push(u.origin, `${u.protocol === "https:" ? "wss:" : "ws:"}//${u.host}`);
      }
    } catch {
      // not a URL: same origin only
    }
  }
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connect.join(" ")}`,
    "worker-src 'self'",
    "media-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The headers every answer carries. */
export function securityHeaders(publicUrl?: string | null): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(publicUrl),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  };
}

/** Express middleware setting {@link securityHeaders} on every response. */
export function securityHeadersMiddleware(publicUrl?: string | null): RequestHandler {
  const headers = securityHeaders(publicUrl);
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}
