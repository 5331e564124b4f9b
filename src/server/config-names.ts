/**
 * Unknown TOLLGATE_* variables. A misspelled setting (TOLLGATE_PROT=9000) would otherwise be
 * ignored in silence and the default used, so each one gets a warning line, with the closest
 * known name when it is a likely typo. TOLLGATE_TEST_* belong to the test suite.
 */

/** Settings read outside config.ts (the packager looks up its tools itself). */
export const SETTINGS_READ_ELSEWHERE: readonly string[] = ['TOLLGATE_FFMPEG'];

const PREFIX = 'TOLLGATE_';
const TEST_PREFIX = 'TOLLGATE_TEST_';

export function unknownSettingWarnings(env: Readonly<Record<string, string | undefined>>, known: ReadonlySet<string>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !name.startsWith(TEST_PREFIX) && !known.has(name))
    .sort()
    .map((name) => {
      const close = closest(name, known);
      return `unknown setting ${name} is ignored${close === undefined ? '' : ` (did you mean ${close}?)`}`;
    });
}

/** The known name within a few edits of name (swapped letters count as one), if any. */
function closest(name: string, known: ReadonlySet<string>): string | undefined {
  const suffix = name.slice(PREFIX.length);
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(suffix, candidate.slice(PREFIX.length));
    if (distance <= Math.max(1, Math.floor(suffix.length / 4)) && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
