/** A deck's record from the server (GET /decks/<id>, docs/protocol.md §Decks): page sizes for layout. */
export interface PageSize {
  width: number;
  height: number;
}

export interface DeckInfo {
  id: string;
  pages: number;
  title: string;
  pageSizes: PageSize[];
}

const cache = new Map<string, Promise<DeckInfo>>();

export function loadDeckInfo(id: string): Promise<DeckInfo> {
  let p = cache.get(id);
  if (!p) {
    p = fetch(`/decks/${id}`).then(async (res) => {
      if (!res.ok) throw new Error(res.status === 404 ? "The server does not have this deck any more." : `Could not load the deck (HTTP ${res.status}).`);
      return (await res.json()) as DeckInfo;
    });
    p.catch(() => cache.delete(id));
    cache.set(id, p);
  }
  return p;
}

/** Width / height of a page (16:9 until the record is known). */
export function pageRatio(info: DeckInfo | null, page: number): number {
  const size = info?.pageSizes[page - 1] ?? info?.pageSizes[0];
  return size && size.height > 0 ? size.width / size.height : 16 / 9;
}
