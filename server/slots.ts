/**
 * At most `limit` jobs at once, the rest waiting in order; with `maxWaiting`, a job that would
 * wait behind that many is refused at once (`SlotsFull`) instead of piling up with its request
 * held open. One rule for every bounded fan-out of the server (manifest renders, an edge's
 * image fetches). Pure: promises only.
 */
export class SlotsFull extends Error {
  constructor() {
    super("too many jobs waiting");
    this.name = "SlotsFull";
  }
}

export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  readonly #maxWaiting: number;

  constructor(limit: number, { maxWaiting = Infinity }: { maxWaiting?: number } = {}) {
    this.#free = limit;
    this.#maxWaiting = maxWaiting;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else if (this.#waiting.length >= this.#maxWaiting) throw new SlotsFull();
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
