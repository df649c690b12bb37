// Login tokens on the wire (protocol/login-token.ts) and the follower's view of a presenter
// who is away (web-client/src/app/presenter-presence.ts, over the real Occupants).
import { readFileSync } from "node:fs";
import xml from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { LOGIN_TOKEN, isLoginToken, readLoginToken } from "../../protocol/login-token.ts";
import { NS } from "../../protocol/namespaces.ts";
import type { RoomState } from "../../protocol/types.ts";
import { Occupants } from "../../web-client/src/app/occupants.ts";
import { PresenterWatch, type PresenterPresence } from "../../web-client/src/app/presenter-presence.ts";
import { Emitter } from "../../client-core/emitter.ts";

const doc = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8").replace(/\s+/g, " ");
const TOKEN = `dct1-${"a".repeat(16)}-${"b".repeat(64)}`;

describe("login tokens on the wire", () => {
  it("docs/protocol.md states the code's numbers", () => {
    expect(doc).toContain(`${LOGIN_TOKEN.maxSeconds} s`);
    expect(doc).toContain(`${LOGIN_TOKEN.bits} random bits`);
    expect(doc).toContain(`${LOGIN_TOKEN.length} characters`);
    expect(doc).toContain(`At most ${LOGIN_TOKEN.maxPerAccount} live tokens per account`);
    expect(TOKEN).toHaveLength(LOGIN_TOKEN.length);
  });

  it("reads only well-formed answers", () => {
    const answer = (attrs: Record<string, string>) => xml("iq", { type: "result" }, xml("login-token", { xmlns: NS.deckcast, ...attrs }));
    expect(readLoginToken(answer({ token: TOKEN, expires: "1767225600000" }))).toEqual({ token: TOKEN, expires: 1767225600000 });
    expect(readLoginToken(answer({ token: TOKEN, expires: "soon" }))).toBeNull();
    expect(readLoginToken(answer({ token: TOKEN.toUpperCase(), expires: "1" }))).toBeNull();
    expect(readLoginToken(answer({ token: `${TOKEN}0`, expires: "1" }))).toBeNull();
    expect(readLoginToken(xml("iq", { type: "result" }))).toBeNull();
    expect(isLoginToken("hunter2")).toBe(false);
  });
});

/** The parts of a MeetingSession the watch reads, driven by real presences. */
class Room extends Emitter<{ change: [] }> {
  occupants = new Occupants("abcdef@rooms.localhost", "Fern");
  confirmed: RoomState | null = { presenter: "alice", ended: false } as RoomState;
  connection: "online" | "reconnecting" = "online";
  presenting = false;
  presence(nick: string, type?: string) {
    this.occupants.onStanza(xml("presence", { from: `abcdef@rooms.localhost/${nick}`, ...(type ? { type } : {}) }, xml("x", { xmlns: NS.mucUser }, xml("item", { affiliation: "none", role: "participant" }))));
    this.changed();
  }
  changed() {
    this.emit("change");
  }
}

describe("the presenter's presence, as a follower sees it", () => {
  it("here → reconnecting when the presenter's occupant goes → left after the stated time → here when back", async () => {
    const room = new Room();
    room.presence("alice");
    const seen: PresenterPresence[] = [];
    const watch = new PresenterWatch(room, { goneMs: 50 });
    watch.on("change", (p) => seen.push(p));
    expect(watch.presence).toBe("here");
    room.presence("alice", "unavailable");
    expect(watch.presence).toBe("reconnecting");
    await expect.poll(() => watch.presence, { timeout: 2000 }).toBe("left");
    room.presence("alice");
    expect(seen).toEqual(["reconnecting", "left", "here"]);
    // Nothing is said while our own connection is down, or once the meeting ended.
    room.presence("alice", "unavailable");
    room.connection = "reconnecting";
    room.changed();
    expect(watch.presence).toBe("here");
    room.connection = "online";
    room.confirmed = { presenter: "alice", ended: true } as RoomState;
    room.changed();
    expect(watch.presence).toBe("here");
    watch.stop();
  });
});
