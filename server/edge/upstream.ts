/**
 * The edge's requests to its central server, all bounded: a whole answer within `timeoutMs`
 * and at most `maxBytes` of body (a larger one is cut off and counts as a failure), and the
 * reachability the edge's /api/health reports (the last answer's time and success).
 */
import { UPSTREAM_LIMITS } from "./limits.ts";

export interface UpstreamAnswer {
  status: number;
  contentType: string | null;
  /** The answer's headers, lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

export class UpstreamError extends Error {
  constructor(readonly code: "upstream-timeout" | "upstream-too-large" | "upstream-unavailable", message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface Upstream {
  /** The central server's base URL (origin, no trailing slash). */
  readonly base: string;
  /** GET `pathAndQuery` (must start with "/") on the upstream, bounded. */
  get(pathAndQuery: string, o?: { maxBytes?: number; timeoutMs?: number; accept?: string }): Promise<UpstreamAnswer>;
  /** POST JSON, bounded. */
  postJson(pathAndQuery: string, body: unknown, headers?: Record<string, string>, timeoutMs?: number): Promise<UpstreamAnswer>;
  /** Whether the last request got an answer, and when (epoch ms; 0: never). */
  reachability(): { reachable: boolean; lastAnswerAt: number };
}

export function createUpstream(baseUrl: string, now: () => number = Date.now): Upstream {
  const base = new URL(baseUrl).origin;
  let reachable = false;
  let lastAnswerAt = 0;

  async function request(pathAndQuery: string, init: RequestInit, maxBytes: number, timeoutMs: number): Promise<UpstreamAnswer> {
    if (!pathAndQuery.startsWith("/") || pathAndQuery.startsWith("//")) throw new UpstreamError("upstream-unavailable", "not a path on the upstream");
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(base + pathAndQuery, { ...init, signal, redirect: "manual" });
    } catch (err) {
      reachable = false;
      const timedOut = (err as Error).name === "TimeoutError";
      throw new UpstreamError(timedOut ? "upstream-timeout" : "upstream-unavailable", timedOut ? "the upstream did not answer in time" : "the upstream is not reachable", { cause: err });
    }
    reachable = true;
    lastAnswerAt = now();
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new UpstreamError("upstream-too-large", "the upstream's answer is too large");
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body ?? []) {
        size += (chunk as Uint8Array).byteLength;
        if (size > maxBytes) throw new UpstreamError("upstream-too-large", "the upstream's answer is too large");
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      const timedOut = signal.aborted;
      throw new UpstreamError(timedOut ? "upstream-timeout" : "upstream-unavailable", "the upstream's answer was cut off", { cause: err });
    }
    return { status: res.status, contentType: res.headers.get("content-type"), headers: Object.fromEntries(res.headers), body: Buffer.concat(chunks) };
  }

  return {
    base,
    get(pathAndQuery, o = {}) {
      return request(pathAndQuery, { headers: { accept: o.accept ?? "*/*" } }, o.maxBytes ?? UPSTREAM_LIMITS.maxPassBytes, o.timeoutMs ?? UPSTREAM_LIMITS.timeoutMs);
    },
    postJson(pathAndQuery, body, headers = {}, timeoutMs = UPSTREAM_LIMITS.timeoutMs) {
      return request(pathAndQuery, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }, 64 * 1024, timeoutMs);
    },
    reachability: () => ({ reachable, lastAnswerAt }),
  };
}
