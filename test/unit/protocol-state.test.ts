import type { Element } from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { decodeState, encodeState } from "../../protocol/codec.ts";
import { NS } from "../../protocol/namespaces.ts";
import { parseXml } from "../../protocol/parse.ts";
import { initialState } from "../../protocol/reducer.ts";
import type { Result, RoomState } from "../../protocol/types.ts";

const FULL: RoomState = {
  title: "Q3 <review> & more",
  presenter: "alice",
  started: true,
  ended: false,
  deck: { id: "d".repeat(64), pages: 12, title: "Q3 review" },
  page: 3,
  ink: {
    3: [{ stroke: "s1", tool: "pen", color: "#e53935", width: 40, points: [120, 330, 125, 340] }],
    7: [
      { stroke: "s2", tool: "highlighter", color: "#ffeb3b", width: 200, points: [1, 2] },
      { stroke: "constructor", tool: "pen", color: "#000000", width: 1, points: [3, 4] },
    ],
  },
  drawing: { s9: { stroke: "s9", tool: "pen", color: "#123456", width: 5, points: [9, 9, 10, 10], page: 3 } },
  pointer: { page: 3, x: 5000, y: 2500 },
  recording: { state: "failed", bytes: 12345, duration: 61000, reason: "disk full" },
  clock: 61234,
  seq: 42,
};

function expectError(r: Result<unknown>, path: string, message: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error).toMatchObject({ code: "bad-request", path });
  expect(r.error.message).toMatch(message);
}
const state = (inner: string, attrs = 'seq="1" clock="0" page="1" started="true" ended="false"') =>
  decodeState(parseXml(`<state xmlns="${NS.deckcast}" ${attrs}>${inner}</state>`));

describe("state codec", () => {
  it("round-trips a full state and the initial state, also through text", () => {
    for (const s of [FULL, initialState(), initialState("Weekly"), { ...FULL, recording: { state: "recording" as const, bytes: 0, duration: 0 } }]) {
      expect(decodeState(encodeState(s))).toEqual({ ok: true, value: s });
      expect(decodeState(parseXml(encodeState(s).toString()))).toEqual({ ok: true, value: s });
    }
  });

  it("writes the documented shape", () => {
    const s: RoomState = { ...initialState("T"), seq: 2, clock: 9, presenter: "bob", ink: { 1: [{ stroke: "a", tool: "pen", color: "#000000", width: 1, points: [1, 2] }] } };
    expect(encodeState(s).toString()).toBe(
      '<state xmlns="urn:deckcast:0" seq="2" clock="9" page="1" started="false" ended="false" presenter="bob">' +
        '<title>T</title><ink page="1"><stroke stroke="a" tool="pen" color="#000000" width="1">1,2</stroke></ink></state>',
    );
  });

  it("refuses malformed states with a path", () => {
    expectError(decodeState(parseXml('<state xmlns="urn:other"/>')), "state", /urn:deckcast:0/);
    expectError(state("", 'seq="1" clock="0" page="1" started="yes" ended="false"'), "state@started", /true or false/);
    expectError(state("", 'clock="0" page="1" started="true" ended="false"'), "state@seq", /seq is missing/);
    expectError(state('<ink page="2"><stroke stroke="a" tool="pen" color="red" width="1">1,2</stroke></ink>'), "state/ink[1]/stroke[1]@color", /#rrggbb/);
    expectError(state('<ink page="2"><stroke stroke="a" tool="pen" color="#000000" width="1">1,2 3</stroke></ink>'), "state/ink[1]/stroke[1]/text()", /odd number/);
    expectError(state('<ink page="2"><stroke stroke="a" tool="pen" color="#000000" width="1">1,2</stroke></ink><ink page="2"/>'), "state/ink[2]@page", /appears twice/);
    expectError(state('<title>a</title><title>b</title>'), "state/title[2]", /at most one <title>/);
    expectError(state('<drawing page="1" stroke="a" tool="pen" color="#000000" width="1">1,2</drawing><drawing page="2" stroke="a" tool="pen" color="#000000" width="1">1,2</drawing>'), "state/drawing[2]@stroke", /drawn twice/);
    expectError(state('<slides/>'), "state/slides[1]", /unknown element/);
    expectError(state('<pointer page="1" x="1"/>'), "state/pointer[1]@y", /y is missing/);
  });

  it("ignores foreign children and drops empty ink pages (canonical)", () => {
    const r = state('<x xmlns="urn:example"/><ink page="4"/>');
    expect(r.ok && r.value.ink).toEqual({});
  });

  it("never throws on non-elements", () => {
    expect(decodeState(null as unknown as Element).ok).toBe(false);
  });
});
