/** Entry point: defines every element; index.html holds the one <deckcast-app>. Page images are decoded in a worker. */
import "./elements/deckcast-app.ts";
import { decodeImage } from "./render/image-decoder.ts";
import { setPageImageDecoder } from "./render/page-images.ts";

setPageImageDecoder(decodeImage);
