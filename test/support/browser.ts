/**
 * Real browsers for tests and benchmarks: the system Chromium (never a downloaded one)
 * driven by playwright-core. Every person gets their own browser context (own storage, own
 * connection), and every console error and uncaught page error is collected so a test can
 * assert there were none.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.DECKCAST_CHROMIUM ?? "/usr/bin/chromium";

/** The flags FACTS.md settled on for headless Chromium on our machines. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

export const ARTIFACTS = path.resolve("test-artifacts");

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far, as text. */
  errors: string[];
}

export interface TestBrowser {
  browser: Browser;
  /** A new person in a fresh context. The user agent carries the name (the WebSocket proxy sees it). */
  person(name: string, opts?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number }): Promise<Person>;
  close(): Promise<void>;
}

/**
 * `bypassCsp`: let test instrumentation that the server's Content-Security-Policy refuses run
 * in the page (the audio probes load an AudioWorklet from a blob: URL); the product itself
 * is always tested under its policy (test/e2e/http-csp.test.ts). `executablePath`: another
 * launcher of the same Chromium (test/support/netns.ts's wrapper runs it in a namespace).
 */
export async function launchBrowser({ extraArgs = [] as string[], bypassCsp = false, executablePath = CHROMIUM } = {}): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_FLAGS, ...extraArgs], headless: true });
  const people: Person[] = [];
  const ua = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${browser.version().split(".")[0]}.0.0.0 Safari/537.36`;
  return {
    browser,
    async person(name, opts = {}) {
      const context = await browser.newContext({
        viewport: opts.viewport ?? { width: 1280, height: 800 },
        deviceScaleFactor: opts.deviceScaleFactor ?? 1,
        userAgent: `${ua} deckcast-test/${name}`,
        bypassCSP: bypassCsp,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      const person = { name, context, page, errors };
      people.push(person);
      return person;
    },
    async close() {
      for (const p of people) await p.context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

/** Saves a PNG of the page under test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
