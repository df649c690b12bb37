/**
 * The XEP-0363 slot request on the component's domain:
 *
 *   <iq type="get" to="deckcast.localhost">
 *     <request xmlns="urn:xmpp:http:upload:0" filename="q3.pptx" size="123456" content-type="…"/>
 *   </iq>
 *   → <slot xmlns="urn:xmpp:http:upload:0"><put url="…/upload/<slot>?token=…"/><get url="…/decks/pending/<slot>"/></slot>
 *
 * Only accounts of the account domain may upload (guests may not). An account holding too
 * many pending slots (slots.ts) is refused with `quota-exceeded`. A pure function of the
 * request, so it is tested without an XMPP server.
 */
import { NS } from "../../../protocol/namespaces.ts";
import xml, { type Element } from "@xmpp/xml";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { IqRequest } from "../../component/link.ts";
import { tooLargeMessage } from "../errors.ts";
import { QuotaExceeded, type Slot, type SlotRequest } from "./slots.ts";

const MAX_FILENAME = 255;

export interface SlotIqDeps {
  /** Throws QuotaExceeded when the account may not have another slot now. */
  issueSlot(req: SlotRequest): Slot;
  /** Only JIDs of this domain may upload, e.g. "localhost". */
  accountDomain: string;
  maxUploadBytes: number;
}

export function createSlotIqHandler(deps: SlotIqDeps): (req: IqRequest) => Element {
  return ({ from, element }) => {
    const bare = from.split("/")[0]!;
    const at = bare.indexOf("@");
    if (at <= 0 || bare.slice(at + 1) !== deps.accountDomain) {
      return encodeError("guest-not-allowed", "Guests cannot upload decks; log in with an account.");
    }
    const filename = String(element.attrs.filename ?? "");
    const sizeAttr = String(element.attrs.size ?? "");
    const contentType = element.attrs["content-type"] as string | undefined;
    if (!filename || filename.length > MAX_FILENAME || /[\u0000-\u001f/\\]/.test(filename)) {
      return encodeError("bad-request", `The filename attribute must be a plain file name of 1 to ${MAX_FILENAME} characters.`);
    }
    if (!/^\d{1,15}$/.test(sizeAttr)) return encodeError("bad-request", "The size attribute must be the file's size in bytes.");
    const size = Number(sizeAttr);
    if (size === 0) return encodeError("bad-request", "The file is empty.");
    if (size > deps.maxUploadBytes) {
      const err = encodeError("upload-too-large", tooLargeMessage(size, deps.maxUploadBytes));
      err.append(xml("file-too-large", { xmlns: NS.upload }, xml("max-file-size", {}, String(deps.maxUploadBytes))));
      return err;
    }
    let slot: Slot;
    try {
      slot = deps.issueSlot({ jid: from, filename, size, contentType });
    } catch (err) {
      if (err instanceof QuotaExceeded) return encodeError("quota-exceeded", err.message);
      throw err;
    }
    return xml("slot", { xmlns: NS.upload }, xml("put", { url: slot.putUrl }), xml("get", { url: slot.getUrl }));
  };
}
