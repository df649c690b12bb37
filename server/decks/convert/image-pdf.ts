/**
 * A PNG or JPEG becomes a one-page PDF with the image filling the page (at 96 dpi, so a
 * 1920×1080 screenshot is a 1440×810 pt page). A JPEG is embedded as is (DCTDecode);
 * a PNG is decoded with @napi-rs/canvas, laid on white (PDF images have no alpha without
 * an extra mask, and slides are shown on white anyway) and stored losslessly (FlateDecode).
 */
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { deflate } from "node:zlib";
import { fail, ok, type DeckResult } from "../errors.ts";
import { pdfFile } from "./pdf-file.ts";

/** Largest image accepted, in pixels (decoding needs 4 bytes a pixel). */
export const MAX_IMAGE_PIXELS = 40_000_000;
const PT_PER_PX = 72 / 96;
const deflateAsync = promisify(deflate);

interface Raster { width: number; height: number; colorSpace: string; filter: string; data: Buffer; decode?: string }

/** Writes `out` as a one-page PDF showing the image in `src`. */
export async function imageToPdf(src: string, type: "png" | "jpeg", out: string): Promise<DeckResult<void>> {
  const bytes = await readFile(src);
  const raster = type === "jpeg" ? jpegRaster(bytes) : await pngRaster(bytes);
  if (!raster.ok) return raster;
  await writeFile(out, pdfWithImage(raster.value));
  return ok(undefined);
}

function jpegRaster(b: Buffer): DeckResult<Raster> {
  let adobe = false;
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) return fail("corrupt-file", "The JPEG image is damaged.");
    const marker = b[i + 1]!;
    if (marker === 0xff) { i++; continue; }
    const len = b.readUInt16BE(i + 2);
    if (marker === 0xee) adobe = true;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = b.readUInt16BE(i + 5);
      const width = b.readUInt16BE(i + 7);
      const comps = b[i + 9];
      if (!width || !height) return fail("corrupt-file", "The JPEG image has no size.");
      if (width * height > MAX_IMAGE_PIXELS) return tooBig(width, height);
      const colorSpace = comps === 1 ? "/DeviceGray" : comps === 4 ? "/DeviceCMYK" : "/DeviceRGB";
      // Adobe CMYK JPEGs store inverted values.
      const decode = comps === 4 && adobe ? "[1 0 1 0 1 0 1 0]" : undefined;
      return ok({ width, height, colorSpace, filter: "/DCTDecode", data: b, decode });
    }
    i += 2 + len;
  }
  return fail("corrupt-file", "The JPEG image is damaged (no frame header).");
}

async function pngRaster(b: Buffer): Promise<DeckResult<Raster>> {
  if (b.length < 24 || b.toString("latin1", 12, 16) !== "IHDR") return fail("corrupt-file", "The PNG image is damaged.");
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  if (!width || !height) return fail("corrupt-file", "The PNG image has no size.");
  if (width * height > MAX_IMAGE_PIXELS) return tooBig(width, height);
  const { createCanvas, loadImage } = await import("@napi-rs/canvas");
  let img: Awaited<ReturnType<typeof loadImage>>;
  try {
    img = await loadImage(b);
  } catch (err) {
    return fail("corrupt-file", `The PNG image is damaged (${(err as Error).message}).`);
  }
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = Buffer.allocUnsafe(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    rgb[q] = rgba[p]!;
    rgb[q + 1] = rgba[p + 1]!;
    rgb[q + 2] = rgba[p + 2]!;
  }
  return ok({ width, height, colorSpace: "/DeviceRGB", filter: "/FlateDecode", data: await deflateAsync(rgb) });
}

function tooBig(w: number, h: number): DeckResult<never> {
  return fail("too-large", `The image is ${w}×${h} pixels; at most ${MAX_IMAGE_PIXELS / 1e6} million pixels are allowed.`);
}

/** A minimal PDF 1.4: catalog, pages, one page, the image and a content stream drawing it. */
function pdfWithImage(r: Raster): Buffer {
  const w = round(r.width * PT_PER_PX);
  const h = round(r.height * PT_PER_PX);
  const content = Buffer.from(`q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q\n`, "latin1");
  const image = `<< /Type /XObject /Subtype /Image /Width ${r.width} /Height ${r.height} /ColorSpace ${r.colorSpace} `
    + `/BitsPerComponent 8 /Filter ${r.filter}${r.decode ? ` /Decode ${r.decode}` : ""} /Length ${r.data.length} >>`;
  const objects: Buffer[] = [
    Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
    Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>`),
    Buffer.concat([Buffer.from(`${image}\nstream\n`), r.data, Buffer.from("\nendstream")]),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from("endstream")]),
  ];
  return pdfFile(objects);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
