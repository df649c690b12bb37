/**
 * <create/>: an account (not a guest) asks the component for a new meeting; `record="false"`
 * makes it live-only (nothing of it is kept once it ends).
 * docs/protocol.md §Create a meeting.
 */
import xml from "@xmpp/xml";
import type { Logger } from "pino";
import { NS, LIMITS } from "../../../protocol/namespaces.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { ComponentLink } from "../link.ts";
import type { Domains, Lifecycle } from "../lifecycle.ts";
import type { Meetings } from "../meetings.ts";
import { bareJid } from "../muc.ts";

export function setupCreate({ link, meetings, lifecycle, domains, maxPerAccount, log }: { link: ComponentLink; meetings: Meetings; lifecycle: Lifecycle; domains: Domains; maxPerAccount: number; log: Logger }) {
  /** Creates under way per account: they count against the quota before they are live. */
  const pending = new Map<string, number>();
  link.onIq("set", NS.deckcast, "create", async (req) => {
    if (req.local !== "") return encodeError("bad-request", `send <create/> to ${domains.component}`);
    const bare = bareJid(req.from);
    if (bare.slice(bare.indexOf("@") + 1) !== domains.accounts) return encodeError("guest-not-allowed");
    const title = (req.element.getChildText("title") ?? "").trim() || "Untitled meeting";
    if (title.length > LIMITS.maxTitle) return encodeError("bad-request", `the title is longer than ${LIMITS.maxTitle} characters`);
    const nick = String(req.element.attrs.nick ?? "").trim() || bare.slice(0, bare.indexOf("@"));
    if (nick.length > LIMITS.maxNick) return encodeError("bad-request", `the nick is longer than ${LIMITS.maxNick} characters`);
    const recordAttr = req.element.attrs.record;
    if (recordAttr !== undefined && recordAttr !== "true" && recordAttr !== "false") return encodeError("bad-request", 'record is "true" or "false"');
    const record = recordAttr !== "false";
    if (!link.online) return encodeError("not-ready");
    const live = meetings.all().filter((m) => m.owner === bare).length + (pending.get(bare) ?? 0);
    if (live >= maxPerAccount) return encodeError("quota-exceeded", `An account may have at most ${maxPerAccount} live meetings at once; end one first.`);
    pending.set(bare, (pending.get(bare) ?? 0) + 1);
    // A create stops counting as pending once its meeting counts as live: counted twice while
    // its session-start was being flushed, a create arriving then was refused below the quota.
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      const n = (pending.get(bare) ?? 1) - 1;
      if (n > 0) pending.set(bare, n);
      else pending.delete(bare);
    };
    try {
      const m = await lifecycle.create({ title, owner: bare, nick, record, onAdded: release });
      return xml("meeting", {
        xmlns: NS.deckcast,
        code: m.code,
        room: m.room,
        jid: m.jid,
        session: m.archive.manifest.session,
        started: String(Date.parse(m.archive.manifest.createdAt)),
        ...(record ? {} : { record: "false" }),
      });
    } catch (err) {
      log.error({ err: (err as Error).message, owner: bare }, "create meeting failed");
      return encodeError("internal", "The meeting room could not be created.");
    } finally {
      release();
    }
  });
}
