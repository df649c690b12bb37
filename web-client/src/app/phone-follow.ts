/**
 * Following on a phone: the screen stays on while a meeting is followed (Screen Wake Lock,
 * taken again when the page comes back to the front, since the browser drops it when the
 * page is hidden), and the voice shows as media the phone knows (Media Session: the
 * meeting's title on the lock screen, play/pause there unmutes/mutes the voice), so it can
 * go on with the screen off where the browser allows. Both are best effort: a browser
 * without them (or a page that is not a secure context) follows as before.
 */
export interface FollowMedia {
  title: string;
  presenter: string | null;
  playing: boolean;
}

interface WakeLockSentinelLike {
  released: boolean;
  release(): Promise<void>;
}

export class PhoneFollow {
  #lock: WakeLockSentinelLike | null = null;
  #wanted = false;
  #media: FollowMedia | null = null;
  readonly #onPlay: () => void;
  readonly #onPause: () => void;

  /** `onPlay`/`onPause`: what the lock screen's play and pause do (unmute, mute). */
  constructor(opts: { onPlay: () => void; onPause: () => void }) {
    this.#onPlay = opts.onPlay;
    this.#onPause = opts.onPause;
  }

  /** Keeps the screen on from now until `stop()`. */
  start(): void {
    if (this.#wanted) return;
    this.#wanted = true;
    document.addEventListener("visibilitychange", this.#onVisible);
    void this.#acquire();
  }

  stop(): void {
    this.#wanted = false;
    document.removeEventListener("visibilitychange", this.#onVisible);
    void this.#lock?.release().catch(() => undefined);
    this.#lock = null;
    this.setMedia(null);
  }

  /** What the phone shows as playing (null: nothing). */
  setMedia(media: FollowMedia | null): void {
    const session = typeof navigator !== "undefined" ? navigator.mediaSession : undefined;
    if (!session) return;
    const same = media && this.#media && media.title === this.#media.title && media.presenter === this.#media.presenter && media.playing === this.#media.playing;
    if (same || (!media && !this.#media)) return;
    this.#media = media;
    if (!media) {
      session.metadata = null;
      session.playbackState = "none";
      for (const action of ["play", "pause"] as const) session.setActionHandler(action, null);
      return;
    }
    if (typeof MediaMetadata !== "undefined") session.metadata = new MediaMetadata({ title: media.title || "deckcast meeting", artist: media.presenter ? `${media.presenter} presenting` : "deckcast" });
    session.playbackState = media.playing ? "playing" : "paused";
    session.setActionHandler("play", () => this.#onPlay());
    session.setActionHandler("pause", () => this.#onPause());
  }

  #onVisible = () => {
    if (document.visibilityState === "visible" && this.#wanted && (!this.#lock || this.#lock.released)) void this.#acquire();
  };

  async #acquire(): Promise<void> {
    const wakeLock = (navigator as Navigator & { wakeLock?: { request(type: "screen"): Promise<WakeLockSentinelLike> } }).wakeLock;
    if (!wakeLock || document.visibilityState !== "visible") return;
    try {
      const lock = await wakeLock.request("screen");
      if (this.#wanted) this.#lock = lock;
      else void lock.release();
    } catch {
      // refused (battery saver, no permission): the screen may turn off as usual
    }
  }
}
