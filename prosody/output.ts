/** Cleans what Prosody and prosodyctl print before it goes into logs and error messages. */

/** A line of asterisks: Prosody frames start-up problems and missing dependencies in them. */
export const BANNER_EDGE = /^\s*\*{10,}\s*$/;

/**
 * True for the banner Debian's Prosody prints on every start because it is built without
 * lua-unbound (the fallback DNS resolver is irrelevant on loopback). Other banners (no
 * config file, no lua-bitop = no WebSocket, ...) matter.
 */
export function isHarmlessBanner(body: string): boolean {
  return /^\s*Prosody was unable to find lua-unbound\b/.test(body);
}

/**
 * Removes the harmless lua-unbound banner, terminal escape codes, and prosodyctl's
 * password prompts from Prosody's output.
 */
export function cleanProsodyOutput(text: string): string {
  return text
    .replace(/^\*{10,}\n([\s\S]*?)^\*{10,}\n?/gm, (block, body: string) => (isHarmlessBanner(body) ? "" : block))
    .replace(/\u001b\[[0-9;]*m/g, "")
    .replace(/(Enter new password|Retype new password): ?/g, "")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "")
    .join("\n");
}

/** Keeps the last `max` lines of a stream of text chunks. */
export class LineTail {
  readonly #lines: string[] = [];
  #partial = "";
  constructor(readonly max: number) {}

  /** Adds a chunk; returns the complete lines it finished. */
  push(chunk: string): string[] {
    const parts = (this.#partial + chunk).split("\n");
    this.#partial = parts.pop() ?? "";
    for (const line of parts) {
      this.#lines.push(line);
      if (this.#lines.length > this.max) this.#lines.shift();
    }
    return parts;
  }

  /** The kept lines plus any unfinished last line. */
  text(): string {
    return [...this.#lines, this.#partial].join("\n");
  }
}
