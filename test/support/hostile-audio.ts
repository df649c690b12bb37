/**
 * A presenter talking steadily: one synthetic Ogg Opus recording (valid framing, 100 ms
 * pages as the web client sends them) handed to a PresenterSender one page a bundle, each
 * with a page turn, at the pace of the real session clock (the component refuses a `t`
 * ahead of it). Every acknowledgement and refusal is recorded for the archive checks.
 */
import type { AudioChunk, DeckEvent } from "../../protocol/types.ts";
import type { DecodedError } from "../../protocol/stanza-error.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import type { XmppLike } from "../../client-core/xmpp-like.ts";
import { concat, syntheticRecording } from "./opus.ts";

const PAGE_MS = 100;

export interface SteadyTalk {
  sender: PresenterSender;
  /** Acknowledged bundle id → seq (duplicates included: they name the original seq). */
  acked: Map<string, number>;
  refused: { id: string; error: DecodedError }[];
  /** Audio chunks handed to the sender so far. */
  readonly sent: number;
  /** Session times of the page events sent, in order (each rode with one audio chunk). */
  readonly times: number[];
  /** Stops talking (what is queued still goes out); resolves once everything queued is answered. */
  finish(): Promise<void>;
}

/**
 * Starts talking at session time `clock()` and goes on until `finish()` or `pages` pages.
 * `packetBytes` sets the page size (10 bytes a frame over 5 frames is a ~100 B page; 400 makes ~2 KB).
 */
export function talk(xmpp: XmppLike, { meeting, clock, serial = 0x7e57, pages = 600, packetBytes = 200, timeoutMs = 3000 }: { meeting: string; clock: () => number; serial?: number; pages?: number; packetBytes?: number; timeoutMs?: number }): SteadyTalk {
  const rec = syntheticRecording({ serial, pages, framesPerPage: 5, packetBytes });
  const chunk = (i: number) => (i === 0 ? concat(rec.slice(0, 3)) : rec[i + 2]!);
  const sender = new PresenterSender(xmpp, { meeting, clock, timeoutMs });
  const acked = new Map<string, number>();
  const refused: SteadyTalk["refused"] = [];
  sender.on("ack", (a) => acked.set(a.id, a.seq));
  sender.on("refused", (b, error) => refused.push({ id: b.id, error }));
  const t0 = clock();
  let i = 0;
  let stopped = false;
  const times: number[] = [];
  const tick = () => {
    // Send every page whose time has come (a busy test process may fire late).
    while (!stopped && i < pages && clock() >= t0 + i * PAGE_MS) {
      const t = t0 + i * PAGE_MS;
      const audio: AudioChunk = { t, data: chunk(i) };
      const events: DeckEvent[] = [{ type: "page", t, page: 1 + (i % 3) }];
      sender.send(events, audio);
      times.push(t);
      i++;
    }
  };
  const timer = setInterval(tick, PAGE_MS / 2);
  tick();
  return {
    sender,
    acked,
    refused,
    get sent() {
      return i;
    },
    times,
    async finish() {
      stopped = true;
      clearInterval(timer);
      await sender.flush();
    },
  };
}
