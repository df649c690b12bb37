/** Prints rows as an aligned text table and writes them as JSON under bench/results/. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results");

export function printTable(rows: object[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const get = (r: object, c: string) => (r as Record<string, unknown>)[c];
  const cells = rows.map((r) => cols.map((c) => String(get(r, c) ?? "")));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i]!)).join("  ");
  process.stdout.write(`${line(cols)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${cells.map(line).join("\n")}\n`);
}

export async function writeResults(name: string, data: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  await writeFile(file, JSON.stringify(data, null, 2) + "\n");
  return file;
}

/** The q-quantile (0..1) of numbers, nearest-rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Rounds to one decimal, for tables. */
export function round(x: number): number {
  return Math.round(x * 10) / 10;
}
