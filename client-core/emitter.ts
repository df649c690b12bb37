/**
 * A tiny typed event emitter that works in browsers and Node alike (no EventTarget or
 * node:events): `on` returns the function that unsubscribes.
 */
type Handler = (...args: never[]) => void;

export class Emitter<E extends Record<string, unknown[]>> {
  #handlers = new Map<keyof E, Set<Handler>>();
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    const h = fn as unknown as Handler;
    set.add(h);
    return () => set.delete(h);
  }
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const fn of this.#handlers.get(event) ?? []) (fn as unknown as (...a: E[K]) => void)(...args);
  }
}
