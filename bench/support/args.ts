/** Command-line options of the benchmarks: `--name value`. */
export function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
}

/** Chromium flags for browser benchmarks: keep every page at full speed, as if all were on screen. */
export const NO_THROTTLE = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"];
