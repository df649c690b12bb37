/**
 * A small tmpfs for tests of a full disk (needs root; the caller skips, with a message, when
 * it cannot mount). The caller unmounts it in its afterAll (`umount`), then removes the folder.
 */
import { execFileSync } from "node:child_process";

/** Mounts a tmpfs of `size` (e.g. "256k", "16m") on `dir`; false when it cannot. */
export function tryMountTmpfs(dir: string, size = "256k"): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
