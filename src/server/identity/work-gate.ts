/**
 * A bound on concurrent CPU-heavy work (argon2 password checks). Threat: a login flood.
 * argon2 runs on libuv's thread pool, the same few threads that read media files for the
 * gateway, so unbounded logins would stall playback; an unbounded queue would hold memory and
 * answer so late that clients retry on top. At most `concurrency` jobs run at once and at most
 * `queue` wait; beyond that the caller is refused at once and tells its client to come back.
 */
export class WorkGate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  /** Runs fn when a slot is free; undefined at once, without running fn, when the queue is full. */
  tryRun<T>(fn: () => Promise<T>): Promise<T> | undefined {
    if (this.#running >= this.concurrency && this.#waiting.length >= this.queue) return undefined;
    return this.#acquire()
      .then(fn)
      .finally(() => this.#release());
  }

  #acquire(): Promise<void> {
    if (this.#running < this.concurrency) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    // Hand the slot straight to the next waiter, so a newcomer cannot overtake the queue.
    if (next !== undefined) next();
    else this.#running--;
  }
}
