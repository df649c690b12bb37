/**
 * The room's chat in the record, and chat history for whoever joins or comes back
 * (docs/protocol.md §Chat history, docs/archive.md §Chat):
 *
 * - recording: the component is an occupant of every meeting's room and so receives every
 *   groupchat; each message with a `<body>` from another occupant, carrying no deckcast
 *   `<bundle>`, is numbered and appended to the session's chat log (server time, the
 *   sender's nick, the phone user's name when a phone bridge sent it for a phone, the stanza
 *   id when usable, the text bounded to CHAT_HISTORY.maxText);
 * - `<chat after="N"/>` (IQ get to the meeting, from anyone: the code is the invitation)
 *   answers with the messages after chat seq N, or the latest when `after` is absent, at
 *   most CHAT_HISTORY.maxMessages / maxBytes, with `last`, the meeting's last chat seq.
 *
 * Chat sent while the component is not in the room (a restart, a reconnect) is not recorded.
 */
import type { Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { CHAT_HISTORY, chatNick, chatText, decodeChatRequest, encodeChatHistory, fitChatReply, validateChatEntry } from "../../../protocol/chat.ts";
import { NS } from "../../../protocol/namespaces.ts";
import { phoneNameOf } from "../../../protocol/phone-chat.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { ComponentLink } from "../link.ts";
import type { Meetings } from "../meetings.ts";

export function setupChatLog({ link, meetings, log }: { link: ComponentLink; meetings: Meetings; log: Logger }) {
  const onMessage = (el: Element) => {
    if (el.attrs.type !== "groupchat") return;
    const to = String(el.attrs.to ?? "");
    const m = meetings.get(to.slice(to.indexOf("/") + 1));
    if (!m || to !== m.occupantJid || m.state.ended) return;
    const from = String(el.attrs.from ?? "");
    if (!from.startsWith(`${m.room}/`)) return;
    const nick = from.slice(m.room.length + 1);
    // Our own relayed bundles come back to us; a bundle from anyone else is not chat either.
    if (nick === "" || nick === m.nick || el.getChild("bundle", NS.deckcast)) return;
    const body = el.getChildText("body");
    if (body === null || body === "") return;
    const rawId = el.attrs.id;
    const base = { ts: Date.now(), nick: chatNick(nick), text: chatText(body) };
    if (!validateChatEntry({ seq: 1, ...base }).ok) return; // a nick no reader accepts: never stored
    // A phone's name through a bridge is kept with it, so history names the phone as live readers do.
    const phone = phoneNameOf(el);
    const entry = phone !== null && validateChatEntry({ seq: 1, ...base, phone }).ok ? { ...base, phone } : base;
    const id = typeof rawId === "string" && validateChatEntry({ seq: 1, ...entry, id: rawId }).ok ? rawId : undefined;
    m.archive.chat.append(id === undefined ? entry : { ...entry, id }).then(
      (recorded) => recorded && log.debug({ room: m.code, chatSeq: recorded.seq }, "chat recorded"),
      (err: Error) => log.warn({ room: m.code, err: err.message }, "chat message not recorded"),
    );
  };
  link.on("message", onMessage);

  link.onIq("get", NS.deckcast, "chat", async (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError(meetings.ended(req.local) ? "session-ended" : "unknown-room");
    const asked = decodeChatRequest(req.element);
    if (!asked.ok) return encodeError("bad-request", `${asked.error.path}: ${asked.error.message}`);
    const { after } = asked.value;
    const chat = m.archive.chat;
    const entries = after === null ? await chat.latest(CHAT_HISTORY.maxMessages) : await chat.after(after, CHAT_HISTORY.maxMessages);
    return encodeChatHistory({ last: chat.lastSeq, messages: fitChatReply(entries, after === null ? "last" : "first") });
  });

  return {
    stop() {
      link.off("message", onMessage);
    },
  };
}
