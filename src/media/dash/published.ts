/**
 * A published DASH title read back from the MPD Tollgate wrote for it (mpd.ts): its lowest video
 * Representation, and for each of its segments the Period, whose init segment names the KID
 * that decrypts it (with key rotation each Period has its own). Tracing a DASH-only watermarked
 * title reads its variants this way (server/watermark/variant-files.ts). Only Tollgate's own MPD
 * layout is understood: one SegmentTemplate per Representation per Period, `startNumber` before
 * `initialization="<rep>/init-<period>.m4s"`.
 */
export interface PublishedRepresentation {
  /** Also its folder. */
  readonly id: string;
  readonly height: number;
  /** The number of each Period's first segment, by Period. */
  readonly periodStarts: readonly number[];
}

const VIDEO_REPRESENTATION = /<Representation id="([^"]+)"[^>]*\sheight="(\d+)"/g;

/** The video Representation with the fewest lines, or undefined when the MPD has none. */
export function lowestVideoRepresentation(mpd: string): PublishedRepresentation | undefined {
  const reps = [...mpd.matchAll(VIDEO_REPRESENTATION)].map((m) => ({ id: m[1]!, height: Number(m[2]) }));
  const lowest = reps.sort((x, y) => x.height - y.height)[0];
  if (lowest === undefined) return undefined;
  const id = lowest.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const starts = new Map([...mpd.matchAll(new RegExp(`startNumber="(\\d+)" initialization="${id}/init-(\\d+)\\.m4s"`, 'g'))].map((m) => [Number(m[2]), Number(m[1])]));
  const periodStarts = Array.from({ length: starts.size }, (_, p) => starts.get(p));
  if (periodStarts.length === 0 || periodStarts.some((s) => s === undefined)) return undefined;
  return { ...lowest, periodStarts: periodStarts as number[] };
}

/** The Period segment `number` belongs to: the last one starting at or before it. */
export function periodOfSegment(rep: PublishedRepresentation, number: number): number {
  return Math.max(0, rep.periodStarts.findLastIndex((start) => start <= number));
}
