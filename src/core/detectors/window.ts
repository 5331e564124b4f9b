/**
 * Per-key sliding windows with bounded memory: entries older than the window are dropped as
 * new ones arrive, and past `maxKeys` keys the least recently touched key is forgotten (an
 * attacker spraying keys costs the detector memory it caps, not memory it grows).
 */
export class KeyedWindow<T> {
  private readonly entries = new Map<string, { at: number; value: T }[]>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly maxPerKey = 1_000,
  ) {}

  /** Adds a value at time `at`; returns the key's entries within the window, oldest first. */
  add(key: string, at: number, value: T): readonly { at: number; value: T }[] {
    const list = (this.entries.get(key) ?? []).filter((e) => e.at > at - this.windowMs);
    list.push({ at, value });
    if (list.length > this.maxPerKey) list.splice(0, list.length - this.maxPerKey);
    this.entries.delete(key);
    this.entries.set(key, list);
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    return list;
  }

  /** Forgets a key, so a pattern reported once starts over. */
  clear(key: string): void {
    this.entries.delete(key);
  }
}

/** The distinct values of `pick` over entries, in first-seen order. */
export function distinct<T, V>(entries: readonly { value: T }[], pick: (value: T) => V | undefined): V[] {
  const seen = new Set<V>();
  for (const e of entries) {
    const v = pick(e.value);
    if (v !== undefined) seen.add(v);
  }
  return [...seen];
}

/** The event ids of entries whose values carry one. */
export function ids(entries: readonly { value: { readonly id: string } }[]): string[] {
  return entries.map((e) => e.value.id);
}
