/**
 * Watermark sequencing at the gateway (issue 13, DASH-IF/ETSI TS 104 002 "direct mode" in
 * spirit: the variant is chosen per segment from the session's payload, with the manifest
 * unchanged). A watermarked title stores <rendition>/a/seg-N.ts and <rendition>/b/seg-N.ts for
 * HLS, and <representation>/a/seg-N.m4s and …/b/… for each DASH video representation; a request
 * for the bare segment is served variant a or b by the session's payload bit for N, the same bit
 * in every rendition so a bitrate switch keeps the sequence. (DASH numbers its 2 s segments from
 * 1, HLS its own from 0: a session plays one protocol, and tracing reads each on its own grid.)
 * Threats: a viewer fetching both variants of a segment (to average them away or to frame
 * another session) — the variant folders (and the edge names' v/ folder) are never served
 * directly, and in edge mode a session is linked to its own variant only, by its unguessable
 * edge name (`namer`, edge/watermark-edge-links.ts); sessions comparing playlists — the
 * playlists name each segment once and are the same for everyone (edge mode's differ only
 * where two sessions' variants do, which the segments they hold tell them anyway).
 */
import { extname } from 'node:path';
import { WATERMARK_KEY_LABEL } from '../../core/drm/policy.js';
import { EDGE_NAMES_DIR, isWatermarkVariantPath } from '../../core/watermark/variant-paths.js';
import { AUDIO_ID } from '../../media/dash/ladder.js';
import type { Variant } from '../../media/watermark/pattern.js';
import { variantName, variantNameKey } from '../../media/watermark/variant-names.js';
import type { DurableStores } from '../../core/ports.js';
import { openContentKey } from '../keys/content-keys.js';
import type { Sealer } from '../keys/sealer.js';
import { payloadBit, payloadBitReader } from '../watermark/payload.js';

/** How long a title's "watermarked or not" answer is trusted (as MediaFiles rechecks folders). */
const TITLE_RECHECK_MS = 2_000;
/** An HLS rendition's segment, or a DASH video representation's (the audio is not marked). */
const SEGMENT = new RegExp(`^(hls/[^/]+/|dash/(?!${AUDIO_ID}/)[^/]+/)(seg-(\\d{1,9})\\.(?:ts|m4s))$`);
/** The variant a session gets of a segment: A for its payload bit 0, B for 1. */
const VARIANT_OF_BIT: readonly [Variant, Variant] = ['a', 'b'];

interface TitleMark {
  readonly key: Uint8Array | undefined;
  /** The key of the variants' edge names, derived from `key`. */
  readonly nameKey: Uint8Array | undefined;
  readonly checkedAt: number;
}

/** A segment path's variant for one session, under its edge name (`<rendition>/v/<name>.<ext>`); undefined for any other path. */
export type VariantNamer = (path: string) => string | undefined;

export class VariantSelector {
  private readonly titles = new Map<string, TitleMark>();
  /** One catalogue read per title at a time, however many requests wait for it. */
  private readonly reading = new Map<string, Promise<TitleMark>>();

  constructor(
    private readonly stores: DurableStores,
    private readonly sealer: Sealer,
    private readonly now: () => number,
  ) {}

  /**
   * The file to serve for `path` to session `sessionId`, when the title's mark is known;
   * null: nothing may be served (a variant folder asked for directly); undefined: not known
   * yet, ask `servedPath`.
   */
  cachedPath(titleId: string, sessionId: string, path: string): string | null | undefined {
    const mark = this.titles.get(titleId);
    if (mark === undefined || this.now() - mark.checkedAt >= TITLE_RECHECK_MS) return undefined;
    return choose(mark.key, sessionId, path);
  }

  /**
   * For a watermarked title, where session `sessionId`'s variant of each segment is found under
   * its edge name (what an edge serves); undefined for an unmarked title.
   */
  async namer(titleId: string, sessionId: string): Promise<VariantNamer | undefined> {
    const { key, nameKey } = await this.mark(titleId);
    if (key === undefined || nameKey === undefined) return undefined;
    const bit = payloadBitReader(key, sessionId);
    return (path) => {
      const segment = SEGMENT.exec(path);
      if (segment === null) return undefined;
      const n = Number(segment[3]);
      const name = variantName(nameKey, segment[1]!.slice(0, -1), n, VARIANT_OF_BIT[bit(n)]);
      return `${segment[1]}${EDGE_NAMES_DIR}/${name}${extname(segment[2]!)}`;
    };
  }

  /** The title's watermark key (payloads are keyed by it), or undefined for an unmarked title. */
  async watermarkKey(titleId: string): Promise<Uint8Array | undefined> {
    return (await this.mark(titleId)).key;
  }

  /**
   * As cachedPath, reading the title's mark from the catalogue when it is not known or is
   * older than TITLE_RECHECK_MS. While the database is unreachable the last known mark is kept
   * (a title's mark changes only when it is replaced, which needs the database), so segments
   * keep flowing; with no mark known yet the failure reaches the caller (503).
   */
  async servedPath(titleId: string, sessionId: string, path: string): Promise<string | null> {
    const cached = this.cachedPath(titleId, sessionId, path);
    if (cached !== undefined) return cached;
    return choose((await this.mark(titleId)).key, sessionId, path);
  }

  private mark(titleId: string): Promise<TitleMark> {
    const known = this.titles.get(titleId);
    if (known !== undefined && this.now() - known.checkedAt < TITLE_RECHECK_MS) return Promise.resolve(known);
    let pending = this.reading.get(titleId);
    if (pending === undefined) {
      pending = this.readMark(titleId).finally(() => this.reading.delete(titleId));
      this.reading.set(titleId, pending);
    }
    return pending;
  }

  private async readMark(titleId: string): Promise<TitleMark> {
    try {
      const record = (await this.stores.titles.contentKeys(titleId)).find((k) => k.label === WATERMARK_KEY_LABEL);
      const key = record && openContentKey(this.sealer, record.kid, record.sealed);
      const mark = { key, nameKey: key && variantNameKey(key), checkedAt: this.now() };
      this.titles.set(titleId, mark);
      return mark;
    } catch (error) {
      const known = this.titles.get(titleId);
      if (known === undefined) throw error;
      return known;
    }
  }
}

function choose(key: Uint8Array | undefined, sessionId: string, path: string): string | null {
  if (key === undefined) return path;
  if (isWatermarkVariantPath(path)) return null;
  const segment = SEGMENT.exec(path);
  if (segment === null) return path;
  return `${segment[1]}${VARIANT_OF_BIT[payloadBit(key, sessionId, Number(segment[3]))]}/${segment[2]}`;
}
