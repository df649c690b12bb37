/**
 * Uploading a deck (XEP-0363 HTTP File Upload, then deckcast's conversion status):
 *
 * 1. ask the component for a slot: <request filename size content-type/> → <slot><put/><get/></slot>;
 * 2. PUT the file with XMLHttpRequest, which reports upload progress;
 * 3. follow the conversion through <deck-status/> messages from the component
 *    (uploaded → converting → ready | failed), polling GET /upload/<slot>/status as a
 *    backstop in case a message is missed while the connection blips. Both are read with
 *    protocol/deck-status.ts; a status that does not decode is dropped.
 *
 * The PUT goes to this page's origin: the slot URL's host is whatever the server was told it
 * is, which a phone on the LAN may not be able to reach, but the path is the same.
 */
import xml, { type Element } from "@xmpp/xml";
import { validateDeckErrorBody } from "../../../protocol/deck-errors.ts";
import { deckStatusOf, validateDeckStatus, type DeckStatus } from "../../../protocol/deck-status.ts";
import { slotOfUploadPath, uploadStatusUrl } from "../../../protocol/deck-urls.ts";
import { NS } from "../../../protocol/namespaces.ts";
import type { DeckRef } from "../../../protocol/types.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { describeError } from "./errors.ts";

export type UploadProgress =
  | { phase: "uploading"; percent: number; file: string }
  | { phase: "converting"; percent: number | null; file: string; message: string }
  | { phase: "ready"; file: string; message: string }
  | { phase: "failed"; file: string; message: string };

/** Asking the server how the conversion goes when no message arrived for this long. */
const POLL_MS = 3000;

export class UploadError extends Error {}

export async function uploadDeck(
  xmpp: XmppLike & { on(e: "stanza", f: (el: Element) => void): unknown; off(e: "stanza", f: (el: Element) => void): unknown },
  componentDomain: string,
  file: File,
  onProgress: (p: UploadProgress) => void,
): Promise<DeckRef> {
  const name = file.name;
  let slot: { put: string; id: string };
  try {
    slot = await requestSlot(xmpp, componentDomain, file);
  } catch (err) {
    throw new UploadError(describeUploadError(err));
  }

  let settle!: { resolve: (d: DeckRef) => void; reject: (e: Error) => void };
  const done = new Promise<DeckRef>((resolve, reject) => (settle = { resolve, reject }));
  let lastNews = Date.now();
  let finished = false;
  const onStatus = (s: DeckStatus) => {
    if (finished || s.slot !== slot.id) return;
    lastNews = Date.now();
    if (s.state === "ready" && s.deck && s.pages) {
      finished = true;
      onProgress({ phase: "ready", file: name, message: s.message });
      settle.resolve({ id: s.deck, pages: s.pages, title: s.title ?? name.replace(/\.[^.]+$/, "") });
    } else if (s.state === "failed") {
      finished = true;
      settle.reject(new UploadError(s.message || "The file could not be converted."));
    } else if (s.state === "converting" || s.state === "uploaded") {
      onProgress({ phase: "converting", percent: s.progress ?? null, file: name, message: s.message || "Converting…" });
    }
  };
  const onStanza = (el: Element) => {
    if (el.name !== "message" || el.attrs.from !== componentDomain) return;
    const status = deckStatusOf(el);
    if (status?.ok) onStatus(status.value); // one that does not decode is dropped: the poll backs it up
  };
  xmpp.on("stanza", onStanza);
  const poll = setInterval(() => {
    if (Date.now() - lastNews < POLL_MS) return;
    fetch(uploadStatusUrl(slot.id), { cache: "no-store" })
      .then(async (res) => {
        if (!res.ok) return;
        const status = validateDeckStatus(await res.json());
        if (status.ok) onStatus(status.value);
      })
      .catch(() => undefined); // the next poll or message will tell
  }, POLL_MS);

  try {
    onProgress({ phase: "uploading", percent: 0, file: name });
    await put(slot.put, file, (percent) => onProgress({ phase: "uploading", percent, file: name }));
    lastNews = Date.now();
    if (!finished) onProgress({ phase: "converting", percent: null, file: name, message: `Converting ${name}…` });
    return await done;
  } catch (err) {
    finished = true;
    throw err instanceof UploadError ? err : new UploadError(describeError(err));
  } finally {
    clearInterval(poll);
    xmpp.off("stanza", onStanza);
  }
}

async function requestSlot(xmpp: XmppLike, componentDomain: string, file: File): Promise<{ put: string; id: string }> {
  const request = xml("request", { xmlns: NS.upload, filename: file.name.replace(/[\u0000-\u001f/\\]/g, "_").slice(-255) || "deck", size: String(file.size), "content-type": file.type || "application/octet-stream" });
  const res = await xmpp.iqCaller.request(xml("iq", { type: "get", to: componentDomain }, request), 15_000);
  const putUrl = res.getChild("slot", NS.upload)?.getChild("put")?.attrs.url as string | undefined;
  if (!putUrl) throw new Error("the server gave no upload address");
  const u = new URL(putUrl, location.href);
  const id = slotOfUploadPath(u.pathname);
  if (!id) throw new Error("the server gave an upload address deckcast does not know");
  return { put: `${u.pathname}${u.search}`, id };
}

function put(url: string, file: File, onPercent: (p: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    if (file.type) xhr.setRequestHeader("Content-Type", file.type);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onPercent(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = `The upload failed (HTTP ${xhr.status}).`;
      try {
        const body = validateDeckErrorBody(JSON.parse(xhr.responseText));
        if (body.ok) message = body.value.error.message; // bounded, checked text
      } catch {
        // not JSON: keep the status line
      }
      reject(new UploadError(message));
    };
    xhr.onerror = () => reject(new UploadError("The upload was interrupted. Check your connection and try again."));
    xhr.onabort = () => reject(new UploadError("The upload was cancelled."));
    xhr.send(file);
  });
}

/** Slot refusals: the server's own sentence is the most precise one for a too-large file. */
function describeUploadError(err: unknown): string {
  const el = (err as { element?: Element }).element;
  if (el && el.getChild("upload-too-large", NS.errors)) {
    const text = el.getChildText("text", NS.stanzas);
    if (text) return `The file is too large. ${text}`;
  }
  return describeError(err);
}
