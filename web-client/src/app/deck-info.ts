/**
 * A deck's record from the server (GET /decks/<id>, docs/protocol.md §Decks): page sizes for
 * layout. The shape and its checker are protocol/deck-info.ts; a body that does not check,
 * or names another deck, is refused with a clear error instead of being laid out.
 */
import { validateDeckInfo, type DeckInfo, type PageSize } from "../../../protocol/deck-info.ts";
import { deckInfoUrl } from "../../../protocol/deck-urls.ts";

export type { DeckInfo, PageSize };

const cache = new Map<string, Promise<DeckInfo>>();

export function loadDeckInfo(id: string): Promise<DeckInfo> {
  let p = cache.get(id);
  if (!p) {
    p = fetch(deckInfoUrl(id)).then(async (res) => {
      if (!res.ok) throw new Error(res.status === 404 ? "The server does not have this deck any more." : `Could not load the deck (HTTP ${res.status}).`);
      return readDeckInfo(id, await res.json().catch(() => undefined));
    });
    p.catch(() => cache.delete(id));
    cache.set(id, p);
  }
  return p;
}

/** The record in a GET /decks/<id> body, or a clear error when it is not one (or not this deck's). */
export function readDeckInfo(id: string, body: unknown): DeckInfo {
  const info = validateDeckInfo(body);
  if (!info.ok) throw new Error(`The server sent a deck record deckcast cannot read (${info.error.path ?? "deck"}: ${info.error.message}).`);
  if (info.value.id !== id) throw new Error("The server sent the record of another deck.");
  return info.value;
}

/** Width / height of a page (16:9 until the record is known). */
export function pageRatio(info: DeckInfo | null, page: number): number {
  const size = info?.pageSizes[page - 1] ?? info?.pageSizes[0];
  return size && size.height > 0 ? size.width / size.height : 16 / 9;
}
