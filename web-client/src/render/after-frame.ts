/**
 * Work that must not delay the frame showing a change (prefetching the next pages, scrolling
 * the thumbnail strip): run it in a task after the next frame, so a page turn's own task
 * does only what shows the page. The glass benchmark's profile (`npm run bench -- glass
 * --profile`) is where such work shows up.
 */
export function afterFrame(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}
