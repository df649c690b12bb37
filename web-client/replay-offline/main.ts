/**
 * The offline replay player (replay.html in a downloaded session zip, docs/archive.md
 * §Download): the same <dc-replay> as the web client's /replay/<token>, over the data that
 * replay-data.js put in `window.DECKCAST_REPLAY`, with page images, thumbnails and the audio
 * read from the files beside it (pages/<deck>/<n>.jpg, thumbs/…, audio.opus). It makes no
 * network request: opened by double-click (file://) it works with no server and no network.
 * Built as one classic script (replay.js) by web-client/build.ts.
 */
import { readDeckInfo } from "../src/app/deck-info.ts";
import { OfflineReplayArchive, type OfflineData } from "../src/app/replay-offline-archive.ts";
import { setPageImageSource } from "../src/render/page-images.ts";
import "../src/elements/dc-replay.ts";

/** A page image from a file beside the page: <img> loads it where fetch() may not (file://). */
function loadImage(url: string): Promise<ImageBitmap> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => createImageBitmap(img).then(resolve, reject);
    img.onerror = () => reject(new Error(`page image ${url} is missing`));
    img.src = url;
  });
}

function start() {
  const root = document.getElementById("replay")!;
  const data = (window as unknown as { DECKCAST_REPLAY?: OfflineData }).DECKCAST_REPLAY;
  let archive: OfflineReplayArchive;
  try {
    if (!data) throw new Error("missing");
    archive = new OfflineReplayArchive(data);
  } catch {
    root.innerHTML = `<p class="missing">This replay's data (replay-data.js, beside replay.html) is missing or damaged. Unpack the whole zip and open replay.html again.</p>`;
    return;
  }
  setPageImageSource({ url: (deck, page, width) => archive.pageImageUrl(deck, page, width), load: loadImage });
  document.title = `${archive.manifest.title || "Session"} — deckcast replay`;
  const el = document.createElement("dc-replay");
  el.archive = archive;
  el.deckInfo = async (id) => readDeckInfo(id, archive.deckInfo(id));
  root.replaceWith(el);
  el.id = "replay";
}

start();
