/**
 * Edge mode for a watermarked title (docs/WATERMARK.md): each segment a session's manifest
 * names becomes the edge URL of the session's own variant, under its unguessable name in the
 * rendition's v/ folder (media/watermark/variant-names.ts), signed with the same title-scope
 * token as any edge link. HLS playlists name each segment, so each URI is replaced; a DASH
 * `$Number$` template names every segment of a Representation with one URI, so each such
 * template becomes a SegmentList of this session's names (core/manifest/dash-segment-list.ts).
 * Threat: a viewer getting both variants of a segment from the edge. The token opens the whole
 * title, so what keeps the other variant out of reach is that its name appears in nothing this
 * session receives, and that the edge refuses the a/ and b/ folders (nginx-serving-config.ts;
 * a CDN origin holds only v/). Everything else of a watermarked title stays on Tollgate (init
 * segments, and every segment of a rendition packaged before v/ names existed, which has only
 * a/ and b/: only the gateway may choose from those).
 */
import { expandNumber, segmentMediaTemplates, segmentTemplatesToLists } from '../../core/manifest/dash-segment-list.js';
import { EDGE_NAMES_DIR } from '../../core/watermark/variant-paths.js';
import type { MediaFiles } from '../gateway/files.js';
import type { VariantNamer } from '../gateway/variants.js';
import { resolveUnderTitle, type EdgeLinker } from './edge-links.js';

/**
 * The manifest at `manifestPath` for a session of a watermarked title, and its edge links:
 * `linker` signs for the edge, `namer` gives the session's variant names. `edge` is undefined
 * when nothing of the manifest goes to the edge.
 */
export async function watermarkEdgeLinks(
  text: string,
  manifestPath: string,
  linker: EdgeLinker,
  namer: VariantNamer,
  files: MediaFiles,
  titleId: string,
): Promise<{ text: string; edge?: EdgeLinker }> {
  const mpd = manifestPath.endsWith('.mpd');
  // A BaseURL would move where the MPD's relative URIs resolve: such an MPD stays on Tollgate.
  if (mpd && /<(?:\w+:)?BaseURL\b/.test(text)) return { text };
  const base = folderOf(manifestPath);
  const renditions = mpd ? segmentMediaTemplates(text).map((t) => resolveUnderTitle(manifestPath, t)) : [manifestPath];
  const named: string[] = [];
  for (const folder of new Set(renditions.filter((r) => r !== undefined).map(folderOf))) {
    if (await files.hasFolder(titleId, `${folder}${EDGE_NAMES_DIR}`)) named.push(folder);
  }
  if (named.length === 0) return { text };
  const hasName = (path: string) => named.some((folder) => path.startsWith(`${folder}${EDGE_NAMES_DIR}/`));
  const edge: EdgeLinker = (fromManifest, uri) => {
    const path = resolveUnderTitle(fromManifest, uri);
    const target = path === undefined ? undefined : (namer(path) ?? path);
    return target !== undefined && hasName(target) ? linker('', target) : undefined;
  };
  if (!mpd) return { text, edge };
  const lists = segmentTemplatesToLists(text, (template) => {
    const resolved = resolveUnderTitle(manifestPath, template);
    if (resolved === undefined || !named.includes(folderOf(resolved))) return undefined;
    return (number) => {
      const url = expandNumber(resolved, number);
      const name = url === undefined ? undefined : namer(url);
      return name?.startsWith(base) ? name.slice(base.length) : undefined;
    };
  });
  return { text: lists, edge };
}

function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}
