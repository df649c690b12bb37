// The chat log's file rules (server/archive/chat-log.ts, docs/archive.md §Chat), on real files.
import { execFileSync } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHAT_FILE, openChatLog } from "../../server/archive/chat-log.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-chat-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const say = (text: string, id?: string) => ({ ts: 1_700_000_000_000, nick: "fern", text, ...(id ? { id } : {}) });

describe("chat.jsonl", () => {
  it("numbers, writes one JSON line each, reads after N and the latest, and goes on after a reopen", async () => {
    const log = await openChatLog(dir);
    expect(await log.append(say("one", "a"))).toEqual({ seq: 1, ...say("one", "a") });
    await log.append(say("two\nlines"));
    await log.append(say("three"));
    expect((await log.after(1, 10)).map((e) => e.text)).toEqual(["two\nlines", "three"]);
    expect((await log.latest(2)).map((e) => e.seq)).toEqual([2, 3]);
    expect(await log.after(3, 10)).toEqual([]);
    await log.close();
    const lines = (await readFile(path.join(dir, CHAT_FILE), "utf8")).split("\n");
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[1]!)).toEqual({ seq: 2, ...say("two\nlines") });
    const again = await openChatLog(dir);
    expect(again.lastSeq).toBe(3);
    expect((await again.append(say("four")))?.seq).toBe(4);
    await again.close();
  });

  it("cuts a torn last line, skips a damaged one in place and keeps the number it still names", async () => {
    const log = await openChatLog(dir);
    for (const t of ["a", "b", "c"]) await log.append(say(t));
    await log.close();
    const file = path.join(dir, CHAT_FILE);
    await appendFile(file, '{"seq":4,"ts":1,"nick":"x","text":"dam\u0001aged"}\n{"seq":5,"ts":1,"ni');
    const reopened = await openChatLog(dir);
    expect(reopened.count).toBe(3);
    expect(reopened.lastSeq).toBe(4); // seq 4 was on disk, maybe served: never given again
    expect((await readFile(file, "utf8")).endsWith("aged\"}\n")).toBe(true); // the torn line is gone
    expect((await reopened.append(say("d")))?.seq).toBe(5);
    expect((await reopened.after(0, 10)).map((e) => e.text)).toEqual(["a", "b", "c", "d"]);
    await reopened.close();
  });

  it("stops recording at its bound instead of growing without end", async () => {
    const log = await openChatLog(dir, { limits: { maxMessages: 2, maxBytes: 1 << 20 } });
    expect(await log.append(say("a"))).not.toBeNull();
    expect(await log.append(say("b"))).not.toBeNull();
    expect(await log.append(say("c"))).toBeNull();
    expect(log.count).toBe(2);
    await log.close();
  });

  it("refuses a message no reader would accept, and records nothing of it", async () => {
    const log = await openChatLog(dir);
    await expect(log.append({ ts: 1, nick: "", text: "x" })).rejects.toThrow(/nick/);
    expect(log.lastSeq).toBe(0);
    await log.close();
  });
});

describe("chat.jsonl on a full disk", () => {
  const root = process.getuid?.() === 0;
  it.skipIf(!root)("refuses what does not fit, leaves only whole lines, and goes on numbering once there is room", async () => {
    const mnt = await mkdtemp(path.join(os.tmpdir(), "deckcast-chat-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]);
    try {
      const log = await openChatLog(mnt);
      const filler = path.join(mnt, "filler");
      await writeFile(filler, Buffer.alloc(60 * 1024)).catch(() => undefined); // leave less than a few lines' room
      const results: ("ok" | string)[] = [];
      for (let i = 0; i < 40; i++) {
        results.push(await log.append(say(`line ${i} ${"x".repeat(900)}`)).then(() => "ok", (err: NodeJS.ErrnoException) => err.code ?? err.message));
      }
      expect(results.filter((r) => r !== "ok")).toContain("ENOSPC");
      const whole = async () => (await readFile(path.join(mnt, CHAT_FILE), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { seq: number });
      const before = await whole(); // every line parses: nothing half-written is left
      expect(before.map((l) => l.seq)).toEqual(before.map((_, i) => i + 1));
      await rm(filler);
      const after = await log.append(say("room again"));
      expect(after?.seq).toBe(before.length + 1);
      expect((await whole()).map((l) => l.seq)).toEqual([...before.map((l) => l.seq), before.length + 1]);
      await log.close();
    } finally {
      execFileSync("umount", [mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
  });
});
