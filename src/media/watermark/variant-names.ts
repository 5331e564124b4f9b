/**
 * Unguessable names of watermark variants, for edges that serve a watermarked title
 * (docs/WATERMARK.md, edge mode). An edge token covers the whole title (nginx's scope, Akamai's
 * ACL, CloudFront's policy), so under it `<rendition>/a/seg-N.ts` and `…/b/…` would both be
 * open and a viewer could fetch both variants of every segment (and then average the mark away
 * or forge another session's sequence). So packaging also links each variant segment as
 * `<rendition>/v/<name>.<ext>`, the name an HMAC of (rendition path, segment number, variant)
 * under a key derived from the title's watermark key; an edge serves only `v/`, and a session
 * is linked to its own variant's name only. Threats: a viewer guessing or deriving the other
 * variant's name (132 random-looking bits, keyed by a secret that never leaves Tollgate), and
 * a viewer telling A from B by the name (both are HMAC outputs, alike to anyone without the key).
 * Hard links, not copies: the same file, no extra storage.
 */
import { createHmac } from 'node:crypto';
import { link, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EDGE_NAMES_DIR } from '../../core/watermark/variant-paths.js';
import type { Variant } from './pattern.js';

/** Characters of base64url kept: 132 bits. */
const NAME_LENGTH = 22;
const SEGMENT_FILE = /^seg-(\d{1,9})\.(ts|m4s)$/;

/** The key names are made with: derived from the watermark key under its own label, never the key itself. */
export function variantNameKey(watermarkKey: Uint8Array): Buffer {
  return createHmac('sha256', watermarkKey).update('tollgate watermark variant names v1').digest();
}

/** The edge name (without extension) of segment `segment`'s variant in `renditionPath` (e.g. `hls/240p`, no trailing '/'). */
export function variantName(nameKey: Uint8Array, renditionPath: string, segment: number, variant: Variant): string {
  return createHmac('sha256', nameKey).update(`${renditionPath}|${segment}|${variant}`).digest('base64url').slice(0, NAME_LENGTH);
}

/**
 * Links every segment of `renditionDir`'s a/ and b/ folders into its v/ folder under its
 * name; `renditionPath` is the rendition's path under the title, as the gateway sees it.
 */
export async function linkVariantNames(renditionDir: string, renditionPath: string, nameKey: Uint8Array): Promise<void> {
  await mkdir(join(renditionDir, EDGE_NAMES_DIR));
  for (const variant of ['a', 'b'] as const) {
    for (const file of await readdir(join(renditionDir, variant))) {
      const segment = SEGMENT_FILE.exec(file);
      if (segment === null) continue;
      const name = `${variantName(nameKey, renditionPath, Number(segment[1]), variant)}.${segment[2]}`;
      await link(join(renditionDir, variant, file), join(renditionDir, EDGE_NAMES_DIR, name));
    }
  }
}
