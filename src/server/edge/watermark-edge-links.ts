/**
 * Edge mode for a watermarked title (docs/WATERMARK.md): each segment URI of an HLS media
 * playlist becomes the edge URL of this session's own variant, under its unguessable name in
 * the rendition's v/ folder (media/watermark/variant-names.ts), signed with the same
 * title-scope token as any edge link. Threat: a viewer getting both variants of a segment from
 * the edge. The token opens the whole title, so what keeps the other variant out of reach is
 * that its name appears in nothing this session receives, and that the edge refuses the a/ and
 * b/ folders (nginx-serving-config.ts; a CDN origin holds only v/). Everything else of a
 * watermarked title stays on Tollgate: a DASH `$Number$` template names every segment with one
 * URI and cannot carry per-session names, and a rendition packaged before v/ names existed has
 * only a/ and b/, which only the gateway may choose from.
 */
import { resolveUnderTitle, type EdgeLinker } from './edge-links.js';
import type { MediaFiles } from '../gateway/files.js';
import { NAMES_DIR } from '../../media/watermark/variant-names.js';
import type { VariantNamer } from '../gateway/variants.js';

/**
 * The links of the manifest at `manifestPath` for a session of a watermarked title:
 * `linker` signs for the edge, `namer` gives the session's variant names. Undefined when
 * nothing of this manifest goes to the edge.
 */
export async function watermarkEdgeLinker(
  linker: EdgeLinker,
  namer: VariantNamer,
  files: MediaFiles,
  titleId: string,
  manifestPath: string,
): Promise<EdgeLinker | undefined> {
  if (!manifestPath.startsWith('hls/') || !manifestPath.endsWith('.m3u8')) return undefined;
  const dir = manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1);
  if (!(await files.hasFolder(titleId, `${dir}${NAMES_DIR}`))) return undefined;
  return (fromManifest, uri) => {
    const path = resolveUnderTitle(fromManifest, uri);
    const named = path === undefined ? undefined : namer(path);
    // Only the segments of this playlist's own rendition, whose v/ folder was just seen.
    return named !== undefined && named.startsWith(`${dir}${NAMES_DIR}/`) ? linker('', named) : undefined;
  };
}
