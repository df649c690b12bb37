/**
 * What a page looks like as boxes and words, for layout and wording tests: every text a
 * person can read (through shadow roots), element boxes, and which boxes overlap.
 */
import type { Page } from "playwright-core";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The visible text of the whole page, shadow roots included, spaces collapsed. */
export async function pageText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walk = (node: Node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        const parent = node.parentElement;
        if (parent && parent.closest("style, script")) return;
        if (parent && parent.getClientRects().length === 0) return; // not rendered
        out.push(node.textContent ?? "");
        return;
      }
      if (node instanceof Element && node.shadowRoot) walk(node.shadowRoot);
      for (const child of Array.from(node.childNodes)) walk(child);
    };
    walk(document.body);
    return out.join(" ").replace(/\s+/g, " ").trim();
  });
}

/** How many times `needle` occurs in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** A locator's box, failing when it is not on the page. */
export async function boxOf(page: Page, selector: string): Promise<Box> {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not on the page`);
  return box;
}

/** True when two boxes share more than `slack` px in both directions. */
export function overlaps(a: Box, b: Box, slack = 0.5): boolean {
  return Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x) > slack && Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) > slack;
}

/** True when the box lies inside the viewport. */
export function inViewport(b: Box, viewport: { width: number; height: number }): boolean {
  return b.x >= -0.5 && b.y >= -0.5 && b.x + b.width <= viewport.width + 0.5 && b.y + b.height <= viewport.height + 0.5;
}

/**
 * Elements of <dc-meeting> (its shadow root and the elements in it) drawn over the slide: every
 * visible element outside <dc-stage> whose box meets the page sheet, named by tag and class.
 */
export async function overSlide(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const meeting = document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting");
    const root = meeting?.shadowRoot;
    const stage = root?.querySelector("dc-stage");
    const sheet = stage?.shadowRoot?.querySelector(".sheet")?.getBoundingClientRect();
    if (!root || !stage || !sheet) return ["no slide"];
    const hits: string[] = [];
    const visit = (scope: ParentNode) => {
      for (const el of Array.from(scope.querySelectorAll("*"))) {
        if (el === stage || el.contains(stage) || stage.contains(el) || el.tagName === "STYLE") continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden") continue;
        const w = Math.min(r.right, sheet.right) - Math.max(r.left, sheet.left);
        const h = Math.min(r.bottom, sheet.bottom) - Math.max(r.top, sheet.top);
        if (w > 0.5 && h > 0.5) hits.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.trim().replace(/\s+/g, ".")}` : ""}`);
        if (el.shadowRoot) visit(el.shadowRoot);
      }
    };
    visit(root);
    return hits;
  });
}

/** The page sheet's box on the stage. */
export async function slideBox(page: Page): Promise<Box> {
  return boxOf(page, "dc-meeting dc-stage .sheet");
}
