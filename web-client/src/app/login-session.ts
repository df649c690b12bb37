/**
 * What this browser tab keeps across a reload, in sessionStorage (gone when the tab closes,
 * never shared with other tabs): the account's login token (never the password), the name
 * it uses in each meeting, and whether its microphone was on. Everything read back is
 * checked: storage can hold anything (an old version, another page of this origin).
 */
import { isLoginToken } from "../../../protocol/login-token.ts";
import { LIMITS } from "../../../protocol/namespaces.ts";

export interface SavedLogin {
  /** The account's bare JID, e.g. `alice@localhost`. */
  jid: string;
  token: string;
  /** Unix ms after which the server refuses the token. */
  expires: number;
}

const LOGIN_KEY = "deckcast.login";
const meetingKey = (code: string) => `deckcast.meeting.${code}`;

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: nothing survives a reload
  }
}

function read(key: string): unknown {
  try {
    const raw = storage()?.getItem(key);
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) storage()?.removeItem(key);
    else storage()?.setItem(key, JSON.stringify(value));
  } catch {
    // Quota or disabled storage: the login still works, it just does not survive a reload.
  }
}

const JID_RE = /^[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9.-]{1,200}$/;

/** The saved login, or null (none, malformed, or expired: those are removed). */
export function loadLogin(now = Date.now()): SavedLogin | null {
  const v = read(LOGIN_KEY) as Partial<SavedLogin> | null;
  const ok = !!v && typeof v === "object" && typeof v.jid === "string" && JID_RE.test(v.jid) && isLoginToken(v.token) && typeof v.expires === "number" && v.expires > now;
  if (!ok) {
    if (v !== null) write(LOGIN_KEY, null);
    return null;
  }
  return { jid: v.jid!, token: v.token!, expires: v.expires! };
}

export function saveLogin(login: SavedLogin): void {
  write(LOGIN_KEY, login);
}

/** Forgets the login and every meeting remembered with it. */
export function clearLogin(): void {
  write(LOGIN_KEY, null);
  const s = storage();
  if (!s) return;
  try {
    for (const key of Object.keys(s)) if (key.startsWith("deckcast.meeting.")) s.removeItem(key);
  } catch {
    // ignore: see write()
  }
}

export interface RememberedMeeting {
  /** The nick this account joined the meeting with. */
  nick: string;
  /** The microphone was on (live or muted) when last seen. */
  mic: boolean;
}

/** The meeting `code` as this tab last saw it, or null. */
export function rememberedMeeting(code: string): RememberedMeeting | null {
  const v = read(meetingKey(code)) as Partial<RememberedMeeting> | null;
  if (!v || typeof v !== "object" || typeof v.nick !== "string" || v.nick.length === 0 || [...v.nick].length > LIMITS.maxNick) return null;
  return { nick: v.nick, mic: v.mic === true };
}

export function rememberMeeting(code: string, m: RememberedMeeting): void {
  write(meetingKey(code), m);
}

/** Records whether the microphone is on in meeting `code` (only for a remembered meeting). */
export function rememberMic(code: string, on: boolean): void {
  const m = rememberedMeeting(code);
  if (m && m.mic !== on) rememberMeeting(code, { ...m, mic: on });
}

export function forgetMeeting(code: string): void {
  write(meetingKey(code), null);
}
