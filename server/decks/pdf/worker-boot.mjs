// Worker-thread entry for the PDF inspector: a worker thread does not inherit the parent's
// TypeScript loader (tsx, or vitest's), so load the TypeScript worker through tsx here.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.entry, import.meta.url);
