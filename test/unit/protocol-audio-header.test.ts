// <audio-header> in the <state> answer: the audio stream's header pages for a late joiner.
import { describe, expect, it } from "vitest";
import { decodeAudioHeader, withAudioHeader } from "../../protocol/audio-header.ts";
import { decodeState, encodeState } from "../../protocol/codec.ts";
import { NS } from "../../protocol/namespaces.ts";
import { parseXml } from "../../protocol/parse.ts";
import { initialState } from "../../protocol/reducer.ts";

const header = Uint8Array.from([0x4f, 0x67, 0x67, 0x53, 0, 2, 255, 0, 1]);
const state = { ...initialState("Q3 review"), started: true, seq: 41, clock: 61234, presenter: "alice" };
const parse = (inner: string) => parseXml(`<state xmlns="${NS.deckcast}" seq="1" clock="0" page="1" started="true" ended="false">${inner}</state>`);

describe("<audio-header>", () => {
  it("travels inside <state>, through text, and leaves the room state as it was", () => {
    const el = parseXml(withAudioHeader(encodeState(state), header).toString());
    expect(el.toString()).toContain(`<audio-header>T2dnUwAC/wAB</audio-header>`);
    expect(decodeAudioHeader(el)).toEqual({ ok: true, value: header });
    expect(decodeState(el)).toEqual({ ok: true, value: state });
  });

  it("is absent (null) before the session has audio", () => {
    expect(decodeAudioHeader(encodeState(state))).toEqual({ ok: true, value: null });
  });

  it("refuses two, bad base64, and an empty one, with paths", () => {
    expect(decodeAudioHeader(parse("<audio-header>AA==</audio-header><audio-header>AA==</audio-header>"))).toEqual({
      ok: false,
      error: { code: "bad-request", message: "a state holds at most one <audio-header>", path: "state/audio-header[2]" },
    });
    expect(decodeState(parse("<audio-header>AA==</audio-header><audio-header>AA==</audio-header>")).ok).toBe(false);
    expect(decodeAudioHeader(parse("<audio-header>not base64!</audio-header>"))).toEqual({
      ok: false,
      error: { code: "bad-request", message: "audio-header is not valid base64", path: "state/audio-header[1]/text()" },
    });
    expect(decodeAudioHeader(parse("<audio-header/>"))).toMatchObject({ ok: false, error: { message: "audio-header must not be empty" } });
  });

  it("ignores an <audio-header> in another namespace", () => {
    expect(decodeAudioHeader(parse(`<audio-header xmlns="urn:example">AA==</audio-header>`))).toEqual({ ok: true, value: null });
  });
});
