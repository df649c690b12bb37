/** Upload slots (XEP-0363): tokens, the slot IQ as a conversation, and deck-status messages. */
import xml from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { decodeError } from "../../protocol/stanza-error.ts";
import { snapWidth } from "../../server/decks/service.ts";
import { createSlotIqHandler } from "../../server/decks/upload/slot-iq.ts";
import { NS } from "../../protocol/namespaces.ts";
import { SlotIssuer } from "../../server/decks/upload/slots.ts";
import { deckStatusMessage, parseDeckStatus } from "../../server/decks/upload/status.ts";

function issuer(clock = { now: 1_000_000 }) {
  return { clock, slots: new SlotIssuer({ secret: "s3cret", publicUrl: "http://127.0.0.1:8080/", ttlMs: 60_000, now: () => clock.now }) };
}

const tokenOf = (putUrl: string) => new URL(putUrl).searchParams.get("token")!;

describe("slot tokens", () => {
  it("a fresh token opens its own slot", () => {
    const { slots } = issuer();
    const slot = slots.issueSlot({ jid: "alice@localhost/web", filename: "q3.pptx", size: 1234 });
    expect(slot.putUrl).toBe(`http://127.0.0.1:8080/upload/${slot.id}?token=${encodeURIComponent(slot.token)}`);
    expect(slot.getUrl).toBe(`http://127.0.0.1:8080/decks/pending/${slot.id}`);
    expect(slots.verify(slot.id, tokenOf(slot.putUrl))).toMatchObject({ ok: true, value: { bareJid: "alice@localhost", size: 1234 } });
  });

  it("an expired token is refused as token-expired", () => {
    const { slots, clock } = issuer();
    const slot = slots.issueSlot({ jid: "alice@localhost/web", filename: "q3.pptx", size: 1234 });
    clock.now += 60_001;
    expect(slots.verify(slot.id, slot.token)).toMatchObject({ ok: false, error: { code: "token-expired" } });
  });

  it("forged, altered, borrowed and missing tokens are refused as token-invalid", () => {
    const { slots } = issuer();
    const a = slots.issueSlot({ jid: "alice@localhost/web", filename: "a.pptx", size: 10 });
    const b = slots.issueSlot({ jid: "bob@localhost/web", filename: "b.pptx", size: 10 });
    const [expires, mac] = a.token.split(".");
    const forged = `${expires}.${mac!.slice(0, -2)}${mac!.endsWith("AA") ? "BB" : "AA"}`;
    const stretched = `${Number(expires) + 3_600_000}.${mac}`;
    for (const [id, token] of [[a.id, forged], [a.id, stretched], [a.id, b.token], [a.id, undefined], ["nope", a.token]] as const) {
      expect(slots.verify(id, token)).toMatchObject({ ok: false, error: { code: "token-invalid" } });
    }
    // Another server's secret signs nothing here.
    const other = new SlotIssuer({ secret: "other", publicUrl: "http://x", ttlMs: 60_000, now: () => 1_000_000 });
    const theirs = other.issueSlot({ jid: "alice@localhost/web", filename: "a.pptx", size: 10 });
    expect(slots.verify(theirs.id, theirs.token)).toMatchObject({ ok: false, error: { code: "token-invalid" } });
  });
});

describe("the slot request, as a conversation", () => {
  const { slots } = issuer();
  const handle = createSlotIqHandler({ issueSlot: (r) => slots.issueSlot(r), accountDomain: "localhost", maxUploadBytes: 1000 });
  const ask = (from: string, attrs: Record<string, string>) => {
    const element = xml("request", { xmlns: NS.upload, ...attrs });
    return handle({ from, to: "deckcast.localhost", local: "", element, stanza: xml("iq", { type: "get", from, to: "deckcast.localhost" }, element) });
  };

  it("Alice asks for a slot for q3.pptx and receives PUT and GET URLs", () => {
    const reply = ask("alice@localhost/web", { filename: "q3.pptx", size: "900", "content-type": "application/vnd.openxmlformats-officedocument.presentationml.presentation" });
    expect(reply.name).toBe("slot");
    expect(reply.attrs.xmlns).toBe(NS.upload);
    const put = reply.getChild("put")!.attrs.url as string;
    const id = new URL(put).pathname.split("/").pop()!;
    expect(slots.get(id)).toMatchObject({ jid: "alice@localhost/web", filename: "q3.pptx", size: 900 });
    expect(reply.getChild("get")!.attrs.url).toBe(`http://127.0.0.1:8080/decks/pending/${id}`);
  });

  it("a guest asks and is told guests cannot upload", () => {
    const reply = ask("guest-7f3a@guest.localhost/web", { filename: "q3.pptx", size: "900" });
    expect(decodeError(reply)).toMatchObject({ code: "guest-not-allowed", condition: "forbidden" });
  });

  it("Alice asks for 2000 bytes and is told the limit", () => {
    const reply = ask("alice@localhost/web", { filename: "big.pptx", size: "2000" });
    expect(decodeError(reply)).toMatchObject({ code: "upload-too-large", condition: "not-acceptable" });
    expect(reply.getChild("file-too-large", NS.upload)?.getChildText("max-file-size")).toBe("1000");
  });

  it.each([
    [{ size: "10" }],
    [{ filename: "", size: "10" }],
    [{ filename: "../../etc/passwd", size: "10" }],
    [{ filename: "a.pptx" }],
    [{ filename: "a.pptx", size: "-1" }],
    [{ filename: "a.pptx", size: "ten" }],
    [{ filename: "a.pptx", size: "0" }],
  ])("a malformed request %j is a bad-request", (attrs) => {
    expect(decodeError(ask("alice@localhost/web", attrs))).toMatchObject({ code: "bad-request", condition: "bad-request" });
  });
});

describe("deck-status messages", () => {
  it("carry the state, the deck and its pages, and read back the same", () => {
    const status = { slot: "abc", state: "ready" as const, deck: "a".repeat(64), pages: 12, title: "Q3 <review>", message: "Q3 is ready: 12 pages." };
    const msg = deckStatusMessage("deckcast.localhost", "alice@localhost/web", status);
    expect(msg.attrs).toMatchObject({ to: "alice@localhost/web", from: "deckcast.localhost", type: "normal" });
    expect(msg.getChild("deck-status", NS.deckcast)?.attrs).toMatchObject({ state: "ready", pages: "12", deck: "a".repeat(64) });
    expect(parseDeckStatus(msg)).toEqual(status);
  });

  it("a failure carries its code", () => {
    const msg = deckStatusMessage("d", "a@l/w", { slot: "s", state: "failed", code: "zip-bomb", message: "no" });
    expect(parseDeckStatus(msg)).toMatchObject({ state: "failed", code: "zip-bomb" });
  });
});

describe("small rules", () => {
  it("page widths are clamped and snapped to a few sizes", () => {
    expect([snapWidth(1), snapWidth(64), snapWidth(300), snapWidth(1280), snapWidth(1281), snapWidth(99999), snapWidth(Number.NaN)])
      .toEqual([64, 64, 320, 1280, 1600, 2560, 1280]);
  });
});
