/**
 * The reader's requests and answers (protocol/catch-up.ts) and the one MUC join
 * (protocol/muc.ts): answers decode only when every attribute checks out, a range with a
 * gap or an unstamped bundle is refused whole, and join answers are told apart by status
 * code and nick, never by text.
 */
import xml from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { decodeAck, decodeRangeAnswer, decodeStateAnswer, rangeRequest, stateRequest } from "../../protocol/catch-up.ts";
import { encodeBundle, encodeState } from "../../protocol/codec.ts";
import { joinPresence, leavePresence, readJoinAnswer } from "../../protocol/muc.ts";
import { NS } from "../../protocol/namespaces.ts";
import { initialState } from "../../protocol/reducer.ts";
import { decodeError, encodeError } from "../../protocol/stanza-error.ts";
import type { StampedBundle } from "../../protocol/types.ts";

const stamped = (seq: number): StampedBundle => ({ id: `b-${seq}`, seq, t: seq * 10, ts: 1_700_000_000_000 + seq, from: "alice", events: [{ type: "page", t: seq * 10, page: 1 }] });
const range = (attrs: Record<string, string>, bundles: StampedBundle[]) => xml("iq", { type: "result" }, xml("range", { xmlns: NS.deckcast, ...attrs }, ...bundles.map(encodeBundle)));

describe("catch-up requests and answers", () => {
  it("builds the documented requests", () => {
    expect(stateRequest("k7@deckcast.localhost").toString()).toBe('<iq type="get" to="k7@deckcast.localhost"><state xmlns="urn:deckcast:0"/></iq>');
    expect(rangeRequest("k7@d", 42, 57).getChild("range")!.attrs).toEqual({ xmlns: NS.deckcast, from: "42", to: "57" });
    expect(rangeRequest("k7@d", 42).getChild("range")!.attrs).toEqual({ xmlns: NS.deckcast, from: "42" });
  });

  it("reads a state answer with or without the audio header", () => {
    const s = { ...initialState("Q3"), seq: 4, clock: 900 };
    const answer = decodeStateAnswer(xml("iq", { type: "result" }, encodeState(s)));
    expect(answer.ok && answer.value).toEqual({ state: s, audioHeader: null });
    expect(decodeStateAnswer(xml("iq", { type: "result" })).ok).toBe(false);
  });

  it("reads a range answer and refuses one with a gap, an unstamped bundle or bad numbers", () => {
    const good = decodeRangeAnswer(range({ from: "3", to: "5", last: "9" }, [stamped(3), stamped(4), stamped(5)]));
    expect(good.ok && good.value.bundles.map((b) => b.seq)).toEqual([3, 4, 5]);
    expect(good.ok && [good.value.from, good.value.to, good.value.last]).toEqual([3, 5, 9]);
    const refused = {
      gap: range({ from: "3", to: "5", last: "9" }, [stamped(3), stamped(5)]),
      "to past last": range({ from: "3", to: "5", last: "4" }, [stamped(3), stamped(4), stamped(5)]),
      "to not the last bundle": range({ from: "3", to: "6", last: "9" }, [stamped(3), stamped(4)]),
      unstamped: range({ from: "1", to: "1", last: "1" }, [{ ...stamped(1), ts: undefined } as unknown as StampedBundle]),
      "from 0": range({ from: "0", to: "0", last: "1" }, []),
      "huge last": range({ from: "1", to: "1", last: "1".repeat(40) }, [stamped(1)]),
      "negative to": range({ from: "1", to: "-1", last: "1" }, []),
    };
    for (const [name, el] of Object.entries(refused)) expect(decodeRangeAnswer(el).ok, name).toBe(false);
  });

  it("reads an ack, duplicate or not", () => {
    const ack = (attrs: Record<string, string>) => decodeAck(xml("iq", { type: "result" }, xml("ack", { xmlns: NS.deckcast, ...attrs })));
    const a = ack({ id: "x-1", seq: "42", ts: "1763773985234", duplicate: "true" });
    expect(a.ok && a.value).toEqual({ id: "x-1", seq: 42, ts: 1763773985234, duplicate: true });
    expect(ack({ id: "x-1", seq: "0", ts: "1" }).ok).toBe(false);
    expect(ack({ seq: "1", ts: "1" }).ok).toBe(false);
  });
});

describe("one MUC join", () => {
  const room = "k7@rooms.localhost";
  const self = (nick: string, codes: string[], extra: Record<string, string> = {}) =>
    xml("presence", { from: `${room}/${nick}`, ...extra }, xml("x", { xmlns: NS.mucUser }, xml("item", { affiliation: "none", role: "participant" }), ...codes.map((code) => xml("status", { code }))));

  it("asks for no history, from a component's address when given", () => {
    expect(joinPresence({ room, nick: "fern" }).toString()).toBe(`<presence to="${room}/fern"><x xmlns="${NS.muc}"><history maxstanzas="0"/></x></presence>`);
    expect(joinPresence({ room, nick: "deckcast", from: "deckcast.localhost" }).attrs.from).toBe("deckcast.localhost");
    expect(leavePresence({ room, nick: "fern" }).attrs).toEqual({ to: `${room}/fern`, type: "unavailable" });
  });

  it("tells our own presence, a created room and a refusal from everything else", () => {
    expect(readJoinAnswer(self("fern", ["110"]), room, "fern")).toEqual({ kind: "joined", nick: "fern", created: false });
    expect(readJoinAnswer(self("fern2", ["110", "201"]), room, "fern")).toEqual({ kind: "joined", nick: "fern2", created: true });
    expect(readJoinAnswer(self("gus", []), room, "fern")).toBeNull(); // another occupant
    expect(readJoinAnswer(self("fern", ["110"]), "other@rooms.localhost", "fern")).toBeNull();
    expect(readJoinAnswer(self("fern", ["110"], { type: "unavailable" }), room, "fern")).toBeNull();
    const refusal = xml("presence", { from: `${room}/fern`, type: "error" }, encodeError("bad-nick"));
    const answer = readJoinAnswer(refusal, room, "fern");
    expect(answer?.kind).toBe("refused");
    expect(answer?.kind === "refused" && decodeError(answer.error!).code).toBe("bad-nick");
    expect(readJoinAnswer(xml("presence", { from: `${room}/gus`, type: "error" }), room, "fern")).toBeNull();
  });
});
