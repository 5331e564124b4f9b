/**
 * Where a watermarked title keeps its variants (docs/WATERMARK.md): `<rendition>/a/` and
 * `<rendition>/b/` (the two forensic variants of every segment) and `<rendition>/v/` (the same
 * files under their unguessable edge names), for HLS renditions and DASH representations.
 * Threat: anything that serves a title's files by path under a token covering the whole title
 * (Tollgate's gateway, an edge worker) handing a viewer both variants of a segment. Such a
 * server refuses these folders: the gateway chooses a session's variant itself, and an edge
 * gets only the v/ names the session's own manifest lists.
 */

/** The folder of a rendition that holds its variants under their edge names. */
export const EDGE_NAMES_DIR = 'v';

const VARIANT_PATH = new RegExp(`^(?:hls|dash)/[^/]+/(?:a|b|${EDGE_NAMES_DIR})/`);

/** Whether `path` (under the title) lies in a watermark variant folder: never served by its path. */
export function isWatermarkVariantPath(path: string): boolean {
  return VARIANT_PATH.test(path);
}
