/**
 * Live audio, end to end: a real Prosody, the real component, presenters sending the Ogg
 * pages real encoders made. Alice talks, mutes, talks again across a component restart,
 * hands over to Bob, who talks too; the session's audio.opus must come out as ONE valid
 * Ogg Opus stream on the session clock, and be exactly what the followers received.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { decodeAudioHeader } from "../../protocol/audio-header.ts";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { AudioChunk, RecordingEvent } from "../../protocol/types.ts";
import { parsePages } from "../../protocol/ogg.ts";
import { encodeBase64 } from "../../protocol/base64.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { beepRecording, chunksOf, concat, decodePcm, findBeeps, tool } from "../support/opus.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";

let dc: TestDeckcast;
const clients: TestClient[] = [];
let recordings: Uint8Array[];
beforeAll(async () => {
  [dc, ...recordings] = await Promise.all([
    startDeckcast({ recordingReportMs: 300 }),
    beepRecording({ durationMs: 3000, beepsMs: [500, 1500, 2500], encoder: "ffmpeg" }),
    beepRecording({ durationMs: 4000, beepsMs: [300, 1300, 2300, 3300], encoder: "opusenc" }),
    beepRecording({ durationMs: 2000, beepsMs: [400, 1400], encoder: "ffmpeg" }),
    beepRecording({ durationMs: 400, beepsMs: [], encoder: "ffmpeg", channels: 2 }),
  ] as const);
});
afterAll(async () => {
  for (const c of clients) await c.stop();
  await dc?.stop();
});

async function connect(who: "alice" | "bob" | "guest") {
  const c = who === "guest" ? await connectGuest(dc.prosody, { reconnect: true }) : await connectUser(dc.prosody, who, PASSWORD);
  clients.push(c);
  return c;
}

async function rawBundle(c: TestClient, to: string, id: string, audio: AudioChunk) {
  try {
    await c.xmpp.iqCaller.request(xml("iq", { type: "set", to }, xml("bundle", { xmlns: NS.deckcast, id, t: String(audio.t) }, xml("audio", { t: String(audio.t) }, encodeBase64(audio.data)))), 5000);
    return null;
  } catch (err) {
    return decodeError((err as { element: Element }).element);
  }
}

async function talk(sender: PresenterSender, chunks: AudioChunk[]) {
  for (const c of chunks) sender.send([], c);
  await sender.flush();
}

describe("a session's audio", () => {
  it("is one valid Ogg Opus stream across a mute, a component restart and a hand-over, on the session clock", async () => {
    const alice = await connect("alice");
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Voice"))));
    const meeting = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room: string; jid: string };
    await new Follower(alice.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "alice" }).join();
    const watcher = new Follower((await connect("guest")).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    const heard: Uint8Array[] = [];
    const reports: RecordingEvent[] = [];
    watcher.on("bundle", (b) => {
      if (b.audio) heard.push(b.audio.data);
      for (const e of b.events) if (e.type === "recording") reports.push(e);
    });
    await watcher.join();
    const aliceSends = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 0 });

    // Alice talks from 1.0 s to 4.0 s, mutes, and talks again from 6.0 s with a new recording;
    // the component restarts in the middle of it.
    await talk(aliceSends, chunksOf(recordings[0]!, 1000));
    const second = chunksOf(recordings[1]!, 6000);
    await talk(aliceSends, second.slice(0, 8));
    await dc.restartComponent();
    await talk(aliceSends, second.slice(8));

    // Alice hands over to Bob, whose recording starts at 12.0 s.
    const bob = await connect("bob");
    await new Follower(bob.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "bob" }).join();
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "bob" })));
    const bobs = chunksOf(recordings[2]!, 12000);
    await talk(new PresenterSender(bob.xmpp, { meeting: meeting.jid, clock: () => 0 }), bobs);

    const m = dc.component.meetings.get(meeting.code)!;
    const file = path.join(m.archive.dir, "audio.opus");
    const archived = new Uint8Array(await readFile(file));

    // Broken audio is refused precisely and changes nothing.
    const lastSeq = m.archive.journal.lastSeq;
    const damaged = bobs[3]!.data.slice();
    damaged[40]! ^= 0xff;
    const crc = await rawBundle(bob, meeting.jid, "broken-1", { t: 14_500, data: damaged });
    expect(crc?.code).toBe("bad-bundle");
    expect(crc?.text).toMatch(/^bundle\/audio\[1\]\/text\(\): page at byte 0 fails its CRC/);
    const channels = await rawBundle(bob, meeting.jid, "stereo-1", chunksOf(recordings[3]!, 14_600)[0]!);
    expect(channels?.code).toBe("bad-bundle");
    expect(channels?.text).toMatch(/the recording has 2 channel\(s\), the session's audio has 1$/);
    const journal = await m.archive.journal.read(lastSeq + 1, m.archive.journal.lastSeq); // recording reports only
    expect(journal.filter((b) => b.id === "broken-1" || b.id === "stereo-1" || b.audio)).toEqual([]);
    expect(new Uint8Array(await readFile(file))).toEqual(archived);

    // What the watcher heard, in seq order, is the file, byte for byte.
    await waitFor(() => watcher.seq === m.archive.journal.lastSeq, 20_000, "the watcher to catch up");
    expect(concat(heard)).toEqual(archived);
    expect(watcher.state).toEqual(m.state); // the state the component rebuilt after its restart agrees

    // A late joiner gets the stream's header pages with the state.
    const late = await connect("guest");
    const state = await late.xmpp.iqCaller.request(xml("iq", { type: "get", to: meeting.jid }, xml("state", { xmlns: NS.deckcast })));
    const header = decodeAudioHeader(state.getChild("state", NS.deckcast)!);
    if (!header.ok || !header.value) throw new Error("no audio header in the state");
    const headerPages = parsePages(header.value);
    expect(headerPages.ok && headerPages.value.map((p) => new TextDecoder().decode(p.body.subarray(0, 8)))).toEqual(["OpusHead", "OpusTags"]);
    expect(archived.subarray(0, header.value.length)).toEqual(header.value);

    // The stream, before the session ends: ffprobe and opusinfo accept it (a live stream has no EOS yet).
    const audioEnd = 12000 + 2000; // the last chunk's t + its duration: the end of Bob's 2.0 s recording
    const duration = async () => Number((await tool("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file])).stdout) * 1000;
    expect(Math.abs((await duration()) - audioEnd)).toBeLessThan(100);
    const live = await tool("opusinfo", [file]).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${live.stdout}${live.stderr}`.split("\n").filter((l) => /warning|error/i.test(l))).toEqual(["WARNING: EOS not set on stream 1 (normal for live streams)"]);

    // Every beep plays at its session time, and nothing plays where nobody talked.
    const beeps = findBeeps(await decodePcm(file));
    const expected = [1500, 2500, 3500, 6300, 7300, 8300, 9300, 12400, 13400];
    expect(beeps).toHaveLength(expected.length);
    beeps.forEach((ms, i) => expect(Math.abs(ms - expected[i]!), `beep ${i + 1} at ${ms} ms`).toBeLessThanOrEqual(40));

    // The room was told the session is recorded when audio started, then how much is stored
    // while it flowed: the report after the last audio has all of audio.opus.
    await waitFor(() => reports.at(-1)?.bytes === archived.length, 5000, "a report of everything archived");
    expect(reports[0]).toMatchObject({ state: "recording" });
    expect(reports.length).toBeGreaterThanOrEqual(2);
    // Each report is "recording" and never reports fewer bytes than the one before.
    expect(reports.filter((r, i) => r.state !== "recording" || (i > 0 && r.bytes < reports[i - 1]!.bytes)), `reports out of line (all: ${JSON.stringify(reports.map((r) => [r.state, r.bytes]))})`).toEqual([]);
    expect(Math.abs(reports.at(-1)!.duration - audioEnd)).toBeLessThan(100);

    // Ending the session closes the stream: opusinfo is then fully content.
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("end", { xmlns: NS.deckcast })));
    await waitFor(() => watcher.state?.ended === true);
    const closed = await tool("opusinfo", [file]);
    expect(`${closed.stdout}${closed.stderr}`).not.toMatch(/warning|error/i);
    const pages = parsePages(new Uint8Array(await readFile(file)));
    expect(pages.ok && pages.value.filter((p) => p.eos).length).toBe(1);
    expect(Math.abs((await duration()) - Math.max(audioEnd, watcher.state!.clock))).toBeLessThan(100);
  });
});
