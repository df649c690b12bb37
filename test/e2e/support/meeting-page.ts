/**
 * What a person does on a deckcast page, as test steps: log in, create, join, upload, turn,
 * draw, and what they see: the stage's page and its pixels. Selectors pierce the elements'
 * shadow roots (playwright's CSS engine does).
 */
import type { Page } from "playwright-core";

export async function login(page: Page, baseUrl: string, user: string, password: string): Promise<void> {
  await page.goto(baseUrl);
  await page.fill("dc-login #user", user);
  await page.fill("dc-login #password", password);
  await page.click("dc-login button[type=submit]");
  await page.waitForSelector("dc-create-meeting");
}

/** Creates a meeting; resolves with the join link. */
export async function createMeeting(page: Page, title: string): Promise<string> {
  await page.fill("dc-create-meeting #title", title);
  await page.click("dc-create-meeting button[type=submit]");
  await page.waitForSelector("dc-meeting dc-stage");
  // The panel offers a link once the server has said which addresses others reach it on.
  const input = page.locator("dc-share input");
  for (let i = 0; i < 200 && !(await input.inputValue()); i++) await page.waitForTimeout(50);
  const link = await input.inputValue();
  if (!link) throw new Error("the share panel offered no join link within 10 s");
  return link;
}

export async function join(page: Page, link: string, nick: string): Promise<void> {
  await page.goto(link);
  await page.fill("dc-join #nick", nick);
  await page.click("dc-join button[type=submit]");
  await page.waitForSelector("dc-meeting dc-stage");
}

/** What the stage shows: deck id and page. */
export async function shown(page: Page): Promise<{ deck: string | null; page: number }> {
  return page.locator("dc-meeting dc-stage").evaluate((el) => {
    const s = el as HTMLElement & { deck: string | null; page: number };
    return { deck: s.deck, page: s.page };
  });
}

export async function waitForPage(page: Page, n: number, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const app = document.querySelector("deckcast-app")?.shadowRoot;
      const stage = app?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-stage") as (HTMLElement & { page: number; deck: string | null }) | null;
      return !!stage?.deck && stage.page === n;
    },
    n,
    { timeout },
  );
}

/** The text an element shows, its shadow root included. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return page.locator(selector).first().evaluate((el) => (el.shadowRoot ?? el).textContent?.replace(/\s+/g, " ").trim() ?? "");
}

export interface Snapshot {
  width: number;
  height: number;
  /** RGBA bytes. */
  data: Uint8Array;
}

/**
 * The stage's pixels scaled to `width` px: the page with its ink on top (`layer: "all"`),
 * or the ink alone (`"ink"`, on transparent). Stages of different sizes compare this way.
 */
export function snapshot(page: Page, layer: "all" | "ink" = "all", width = 160): Promise<Snapshot> {
  return stagePixels(page, "dc-meeting dc-stage", layer, width);
}

/** As `snapshot`, of the dc-stage `selector` names (a replay's, a rewind's). */
export async function stagePixels(page: Page, selector: string, layer: "all" | "ink" = "all", width = 160): Promise<Snapshot> {
  return page.locator(selector).evaluate(
    (el, { layer, width }) => {
      const root = el.shadowRoot!;
      const pageCanvas = root.querySelector("canvas.page") as HTMLCanvasElement;
      const inkCanvas = root.querySelector("canvas.ink") as HTMLCanvasElement;
      const height = Math.round((width * pageCanvas.height) / pageCanvas.width);
      const c = document.createElement("canvas");
      c.width = width;
      c.height = height;
      const ctx = c.getContext("2d")!;
      ctx.imageSmoothingQuality = "high";
      if (layer === "all") ctx.drawImage(pageCanvas, 0, 0, width, height);
      ctx.drawImage(inkCanvas, 0, 0, width, height);
      // The bytes cross as base64: as a JSON array, a full-size stage (millions of numbers)
      // took seconds per snapshot to serialise, and minutes over a test's samples under load.
      const bytes = ctx.getImageData(0, 0, width, height).data;
      let binary = "";
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { width, height, base64: btoa(binary) };
    },
    { layer, width },
  ).then(({ width, height, base64 }) => ({ width, height, data: new Uint8Array(Buffer.from(base64, "base64")) }));
}

/** Mean absolute difference per channel (0..255) of two snapshots of the same width. */
export function difference(a: Snapshot, b: Snapshot): number {
  const h = Math.min(a.height, b.height);
  let sum = 0;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < a.width; x++) {
      for (let c = 0; c < 4; c++) {
        const i = (y * a.width + x) * 4 + c;
        sum += Math.abs(a.data[i]! - b.data[i]!);
        n++;
      }
    }
  }
  return sum / n;
}

/** Pixels with any ink (alpha > 0) in an ink snapshot. */
export function inkedPixels(s: Snapshot): number {
  let n = 0;
  for (let i = 3; i < s.data.length; i += 4) if (s.data[i]! > 40) n++;
  return n;
}

/** Draws a stroke with the mouse across the stage, from and to fractions of the page (0..1). */
export async function drawStroke(page: Page, from: [number, number], to: [number, number], steps = 12): Promise<void> {
  const box = await page.locator("dc-meeting dc-stage canvas.ink").boundingBox();
  if (!box) throw new Error("no stage on the page");
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  const [x0, y0] = at(from);
  const [x1, y1] = at(to);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps + Math.sin(i) * 6);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
}
