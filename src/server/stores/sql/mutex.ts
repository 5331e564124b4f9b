/**
 * A FIFO async mutex. better-sqlite3 runs on one connection, so while a transaction awaits
 * between statements any other statement would silently run inside it; every statement and
 * transaction therefore takes this lock.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
