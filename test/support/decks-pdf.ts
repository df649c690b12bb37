/**
 * Hand-written PDFs for tests: plain text pages, and the same protected by a user password
 * (Standard security handler, revision 2, RC4 40-bit: every reader supports it and it is a
 * few lines to write). Test-only code.
 */
import { createHash } from "node:crypto";
import { pdfFile } from "../../server/decks/convert/pdf-file.ts";

const PAD = Buffer.from("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a", "hex");

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

const md5 = (...parts: Buffer[]) => createHash("md5").update(Buffer.concat(parts)).digest();
const padded = (pw: string) => Buffer.concat([Buffer.from(pw, "latin1"), PAD]).subarray(0, 32);
const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);

/** A PDF with one page per string of text (Helvetica), optionally with a title and a user password. */
export function makePdf(pages: string[], opts: { title?: string; password?: string } = {}): Buffer {
  const n = pages.length;
  // Objects: 1 catalog, 2 pages, 3 font, 4 info, then per page: page, contents.
  const fileId = createHash("md5").update(pages.join("\n")).digest();
  let key: Buffer | null = null;
  let encryptDict = "";
  if (opts.password) {
    const o = rc4(md5(padded(opts.password + "-owner")).subarray(0, 5), padded(opts.password));
    const p = Buffer.alloc(4);
    p.writeInt32LE(-4); // all permissions
    key = md5(padded(opts.password), o, p, fileId).subarray(0, 5);
    const u = rc4(key, PAD);
    encryptDict = `<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <${o.toString("hex")}> /U <${u.toString("hex")}> >>`;
  }
  const objKey = (num: number) => {
    const b = Buffer.alloc(5);
    b.writeUIntLE(num, 0, 3);
    return md5(key!, b).subarray(0, 10);
  };
  const str = (num: number, s: string) => key ? `<${rc4(objKey(num), Buffer.from(s, "latin1")).toString("hex")}>` : `(${escape(s)})`;
  const objects: Buffer[] = [];
  const kids = pages.map((_, i) => `${5 + i * 2} 0 R`).join(" ");
  objects.push(Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"));
  objects.push(Buffer.from(`<< /Type /Pages /Kids [${kids}] /Count ${n} >>`));
  objects.push(Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"));
  objects.push(Buffer.from(`<< /Title ${str(4, opts.title ?? "")} >>`));
  pages.forEach((text, i) => {
    const pageNum = 5 + i * 2;
    objects.push(Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 405] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageNum + 1} 0 R >>`));
    const lines = text.split("\n").map((l, k) => `BT /F1 28 Tf 60 ${330 - k * 40} Td (${escape(l)}) Tj ET`).join("\n");
    const raw = Buffer.from(lines, "latin1");
    const data = key ? rc4(objKey(pageNum + 1), raw) : raw;
    objects.push(Buffer.concat([Buffer.from(`<< /Length ${data.length} >>\nstream\n`), data, Buffer.from("\nendstream")]));
  });
  if (key) objects.push(Buffer.from(encryptDict));
  const idHex = fileId.toString("hex");
  const encrypt = key ? ` /Encrypt ${objects.length} 0 R` : "";
  return pdfFile(objects, ` /Info 4 0 R${encrypt} /ID [<${idHex}> <${idHex}>]`);
}
