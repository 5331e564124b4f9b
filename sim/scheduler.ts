/**
 * Simulated time for many actors. Each actor is an async function that waits with `sleep`;
 * the scheduler moves the clock to the earliest wake-up only when every actor is waiting, so
 * a day of viewing runs as fast as Tollgate answers, in the same order on every run.
 */
interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class Scheduler {
  private readonly timers: Timer[] = [];
  private running = 0;
  private seq = 0;
  private idle: (() => void) | undefined;
  private failure: unknown;

  constructor(readonly clock: { now: number }) {}

  /** Starts an actor at the current simulated time. */
  spawn(actor: () => Promise<void>): void {
    this.running++;
    actor()
      .catch((error: unknown) => (this.failure ??= error))
      .finally(() => this.settle());
  }

  /** Resolves after `ms` of simulated time. */
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.push({ at: this.clock.now + Math.max(0, ms), seq: this.seq++, wake });
      this.settle();
    });
  }

  /** Runs until no actor is left or simulated time reaches `until`. */
  async run(until: number): Promise<void> {
    for (;;) {
      if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      if (this.failure !== undefined) throw this.failure;
      const next = this.pop();
      if (next === undefined || next.at > until) return;
      this.clock.now = Math.max(this.clock.now, next.at);
      this.running++;
      next.wake();
    }
  }

  private settle(): void {
    this.running--;
    if (this.running === 0) this.idle?.();
  }

  private push(timer: Timer): void {
    const t = this.timers;
    t.push(timer);
    for (let i = t.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!earlier(t[i]!, t[parent]!)) break;
      [t[i], t[parent]] = [t[parent]!, t[i]!];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const t = this.timers;
    const top = t[0];
    const last = t.pop();
    if (t.length > 0 && last !== undefined) {
      t[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < t.length && earlier(t[l]!, t[m]!)) m = l;
        if (r < t.length && earlier(t[r]!, t[m]!)) m = r;
        if (m === i) break;
        [t[i], t[m]] = [t[m]!, t[i]!];
        i = m;
      }
    }
    return top;
  }
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
