/**
 * Measuring live audio in real browsers (the audio e2e test and `npm run bench -- audio`):
 *
 * - a fake microphone: a WAV of short 1 kHz beeps, which Chromium plays in a loop as its
 *   capture device (`--use-file-for-fake-audio-capture`);
 * - on the presenter's page, an AudioWorklet on the microphone's source finds each beep's
 *   first sample; the page then turns (a real key press: the event is stamped with the
 *   session clock when the key is handled, as a person's would be). Each beep is logged
 *   with its session time (on the clock the recorder stamps audio with) and its wall time;
 * - on a follower's page, the same detector on the player's output finds each beep where it
 *   is played, on the performance clock through the AudioContext's output timestamp (the
 *   clock sync mode uses), and every page painted (dc-page-painted) is logged;
 * - on a replay's page, the detector on the player's <audio> element (routed through an
 *   AudioContext) finds each beep where the element plays it, in the element's media time
 *   (read off the element's clock against the audio clock: see logMediaBeeps).
 *
 * All wall times are performance.timeOrigin + performance.now() (ms), comparable across the
 * pages of one browser on one machine.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";

/** Chromium flags for a presenter whose microphone plays `wav`, and for pages that play sound unprompted. */
export function fakeMicFlags(wav: string): string[] {
  return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-audio-capture=${wav}`, "--autoplay-policy=no-user-gesture-required"];
}

/** Writes a 48 kHz mono WAV of `seconds` with 100 ms 1 kHz beeps every `everyS` seconds from `firstS`. */
export async function beepWav(dir: string, { seconds = 4, firstS = 0.5, everyS = 1 } = {}): Promise<string> {
  const file = path.join(dir, "beeps.wav");
  const wave = `0.5*sin(2*PI*1000*t)*lt(mod(t-${firstS},${everyS}),0.1)*gte(t,${firstS})`;
  await promisify(execFile)("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", `aevalsrc='${wave}':s=48000:d=${seconds}`, "-ac", "1", file]);
  return file;
}

export interface PresenterBeep {
  /** Session time of the beep's first sample, as the presenter's capture graph processed it. */
  session: number;
  /** Wall time of the same moment. */
  wall: number;
}

export interface FollowerLog {
  /** Wall times at which beeps start playing. */
  heard: number[];
  /** Pages painted, with wall times. */
  paints: { page: number; at: number }[];
  /** Page events received (session times), in order. */
  turns: { page: number; t: number }[];
}

/**
 * Defines `window.__onset(node, onOnset, heardSilence)` in the page: an AudioWorklet on
 * `node` that reports the frame of each sample reaching 0.1 after at least 300 ms below it.
 * `heardSilence` says the node was silent before the detector started (a player that
 * has not played yet); otherwise the first onset needs 300 ms of silence observed first,
 * so a beep already under way when the detector starts is not reported late, mid-beep.
 */
const DETECTOR = `
window.__onset = async (node, onOnset, heardSilence) => {
  const worklet = \`
    class Onset extends AudioWorkletProcessor {
      constructor(o) { super(); this.minQuiet = o.processorOptions.minQuiet; this.quiet = o.processorOptions.heardSilence ? 1e9 : 0; }
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        if (!ch) { this.quiet += 128; return true; }
        for (let i = 0; i < ch.length; i++) {
          if (Math.abs(ch[i]) >= 0.1) { if (this.quiet >= this.minQuiet) this.port.postMessage(currentFrame + i); this.quiet = 0; }
          else this.quiet++;
        }
        return true;
      }
    }
    registerProcessor("deckcast-onset", Onset);\`;
  const ctx = node.context;
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: "text/javascript" })));
  const detector = new AudioWorkletNode(ctx, "deckcast-onset", { numberOfOutputs: 0, processorOptions: { minQuiet: ctx.sampleRate * 0.3, heardSilence } });
  detector.port.onmessage = (e) => onOnset(e.data);
  node.connect(detector);
};`;

interface Hooks {
  __deckcast: {
    session: { now(): number; view: { page: number; deck: { pages: number } | null } | null; on(e: "bundle", fn: (b: { events: { type: string; t: number; page?: number }[] }) => void): () => void };
    audio: { mic: { source: MediaStreamAudioSourceNode | null; sessionTimeOf(at: number): number }; player: { output: GainNode } | null };
  };
  __beeps: PresenterBeep[];
  __log: FollowerLog;
  __onset(node: AudioNode, onOnset: (frame: number) => void, heardSilence: boolean): Promise<void>;
}

/** Presenter: log every beep the microphone hears and turn the page on it (next page; page 1 after the last). */
export async function turnPagesOnBeeps(page: Page): Promise<void> {
  await page.evaluate(DETECTOR);
  await page.evaluate(async () => {
    const w = window as unknown as Hooks;
    w.__beeps = [];
    const mic = w.__deckcast.audio.mic;
    const source = mic.source;
    if (!source) throw new Error("the microphone is not on");
    const ctx = source.context as AudioContext;
    // The microphone is already on: a beep may be under way.
    await w.__onset(source, (frame) => {
      const at = frame / ctx.sampleRate;
      w.__beeps.push({ session: mic.sessionTimeOf(at), wall: performance.timeOrigin + performance.now() - (ctx.currentTime - at) * 1000 });
      const v = w.__deckcast.session.view;
      if (!v?.deck) return; // talking before the deck is open: nothing to turn
      const last = v?.deck?.pages ?? 1;
      window.dispatchEvent(new KeyboardEvent("keydown", { key: v && v.page < last ? "ArrowRight" : "Home", bubbles: true }));
    }, false);
  });
}

/** Follower (already listening): log beeps as played, pages as painted and page events as received. */
export async function logFollower(page: Page): Promise<void> {
  await page.evaluate(DETECTOR);
  await page.evaluate(async () => {
    const w = window as unknown as Hooks;
    w.__log = { heard: [], paints: [], turns: [] };
    document.addEventListener("dc-page-painted", (e) => w.__log.paints.push((e as CustomEvent<{ page: number; at: number }>).detail));
    w.__deckcast.session.on("bundle", (b) => {
      for (const e of b.events) if (e.type === "page") w.__log.turns.push({ page: e.page!, t: e.t });
    });
    const player = w.__deckcast.audio.player;
    if (!player) throw new Error("the follower is not listening");
    const ctx = player.output.context as AudioContext;
    await w.__onset(player.output, (frame) => {
      const ts = ctx.getOutputTimestamp();
      w.__log.heard.push(performance.timeOrigin + ts.performanceTime! + (frame / ctx.sampleRate - ts.contextTime!) * 1000);
    }, true);
  });
}

/** A beep the replay's <audio> played: where in its media (session ms), at what speed. */
export interface MediaBeep {
  media: number;
  rate: number;
}

/** The replay probe's log: readings of the element's clock against the audio clock, and the onsets heard. */
interface MediaClock {
  /** Audio clock (s), the element's currentTime (s), and the run of steady playback they were read in. */
  readings: { ctx: number; media: number; run: number }[];
  /** A beep's first sample on the audio clock (s), the speed then, and its run. */
  onsets: { ctx: number; rate: number; run: number }[];
}

/**
 * Replay: routes the player's <audio> element (`window.__deckcastReplay.media`) through an
 * AudioContext (to the speakers as well) and logs each beep it plays in media time. Call
 * before playing: the element is silent until then.
 *
 * Where a beep lies in the element's media is read off the element's clock against the audio
 * clock: every 10 ms while it plays, the page notes (audio clock, currentTime). One reading
 * is a few ms off either way (currentTime is interpolated and held for a task; the audio
 * clock moves in render quanta), and at 2× every ms of it counts twice; so a beep's media
 * time is the median over the readings within 0.75 s of it (same seek, same speed) of
 * currentTime − speed × audio clock, plus speed × the beep's first sample on the audio clock.
 */
export async function logMediaBeeps(page: Page): Promise<void> {
  await page.evaluate(DETECTOR);
  await page.evaluate(async () => {
    const w = window as unknown as Hooks & { __deckcastReplay: { media: unknown }; __mediaClock: MediaClock };
    const audio = w.__deckcastReplay.media;
    if (!(audio instanceof HTMLAudioElement)) throw new Error("the replay plays no audio element");
    const ctx = new AudioContext();
    await ctx.resume();
    const source = ctx.createMediaElementSource(audio);
    source.connect(ctx.destination);
    const clock: MediaClock = { readings: [], onsets: [] };
    w.__mediaClock = clock;
    // A run is a stretch of steady playback: a seek, a change of speed or a stall ends it.
    let run = 0;
    for (const e of ["seeking", "ratechange", "pause", "play", "waiting"]) audio.addEventListener(e, () => run++);
    setInterval(() => {
      if (!audio.paused && !audio.seeking && audio.readyState >= 3) clock.readings.push({ ctx: ctx.currentTime, media: audio.currentTime, run });
    }, 10);
    await w.__onset(source, (frame) => clock.onsets.push({ ctx: frame / ctx.sampleRate, rate: audio.playbackRate, run }), true);
  });
}

export const mediaBeeps = (page: Page): Promise<MediaBeep[]> =>
  page.evaluate(() => {
    const { readings, onsets } = (window as unknown as { __mediaClock: MediaClock }).__mediaClock;
    const beeps: MediaBeep[] = [];
    for (const o of onsets) {
      const near = readings.filter((r) => r.run === o.run && Math.abs(r.ctx - o.ctx) <= 0.75).map((r) => r.media - o.rate * r.ctx);
      if (near.length < 5) continue; // played too briefly to place
      near.sort((a, b) => a - b);
      beeps.push({ media: (near[near.length >> 1]! + o.rate * o.ctx) * 1000, rate: o.rate });
    }
    return beeps;
  });

export const presenterBeeps = (page: Page): Promise<PresenterBeep[]> => page.evaluate(() => (window as unknown as Hooks).__beeps);
export const followerLog = (page: Page): Promise<FollowerLog> => page.evaluate(() => (window as unknown as Hooks).__log);

export interface Matched {
  beep: PresenterBeep;
  /** When the follower heard it (wall), or null. */
  heard: number | null;
  /** Mouth to ear (ms). */
  delay: number | null;
  /** The page event the beep turned, and when the follower painted that page. */
  turn: { page: number; t: number } | null;
  painted: number | null;
  /** (painted − heard) − (turn.t − beep.session): how far from the presenter's own timing the follower showed the page relative to the voice (ms). */
  syncError: number | null;
}

/**
 * Pairs each presenter beep with the follower's: heard = the first onset within `maxDelay`
 * after it; its page turn = the first page event stamped at or after the beep (and before
 * the next beep), painted = the first paint of that page after the beep was heard − 200 ms.
 */
export function match(beeps: PresenterBeep[], log: FollowerLog, maxDelay = 1500): Matched[] {
  return beeps.map((beep, i) => {
    const next = beeps[i + 1]?.session ?? Infinity;
    const heard = log.heard.find((h) => h >= beep.wall && h <= beep.wall + maxDelay) ?? null;
    const turn = log.turns.find((t) => t.t >= beep.session - 5 && t.t < next) ?? null;
    const painted = turn && heard !== null ? (log.paints.find((p) => p.page === turn.page && p.at >= heard - 200)?.at ?? null) : null;
    const syncError = turn && heard !== null && painted !== null ? painted - heard - (turn.t - beep.session) : null;
    return { beep, heard, delay: heard === null ? null : heard - beep.wall, turn, painted, syncError };
  });
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
