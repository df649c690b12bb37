/**
 * The page image decoder's worker (render/image-decoder.ts): JPEG bytes in, an ImageBitmap
 * out, transferred (not copied) back. No imports: it is bundled on its own.
 *
 * In:  { id, bytes: Uint8Array }      Out: { id, bitmap } or { id, error: string }
 */
interface DecodeScope {
  onmessage: ((e: MessageEvent<{ id: number; bytes: Uint8Array<ArrayBuffer> }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as DecodeScope;

scope.onmessage = (e) => {
  const { id, bytes } = e.data;
  createImageBitmap(new Blob([bytes], { type: "image/jpeg" })).then(
    (bitmap) => scope.postMessage({ id, bitmap }, [bitmap]),
    (err: unknown) => scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
  );
};
