/**
 * Writes a PDF file from its objects, numbered from 1 in the order given (object 1 is the
 * catalog): header, objects, cross-reference table and trailer. For the few PDFs deckcast
 * draws itself (an image as a one-page deck) and the ones its tests generate.
 */

/** `objects[i]` is the body of object i+1; `trailer` adds entries to the trailer dictionary. */
export function pdfFile(objects: Buffer[], trailer = ""): Buffer {
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from("\nendobj\n")]);
    parts.push(obj);
    offset += obj.length;
  });
  const size = objects.length + 1;
  const xref = [`xref\n0 ${size}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${size} /Root 1 0 R${trailer} >>\nstartxref\n${offset}\n%%EOF\n`, "latin1"));
  return Buffer.concat(parts);
}
