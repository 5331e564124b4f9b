/**
 * The published MPD (ISO/IEC 23009-1, isoff-live profile, static), written by Tollgate from the
 * encrypted bytes rather than taken from ffmpeg, so key rotation can split it into Periods.
 *
 * Each Representation carries its own ContentProtection, because tiers have different
 * default_KIDs: mp4protection 'cenc' with cenc:default_KID, and the Clear Key system with the
 * license URL and a cenc:pssh. The pssh (W3C common system, v1) lists every KID of the Period,
 * so all Representations share one init data and a player makes ONE license request per
 * Period; the license server then answers only the keys the session may have (no HD/UHD for
 * Clear Key), and the player drops the Representations whose keys did not come.
 *
 * The license URL is a placeholder: the gateway replaces it per playback session through the
 * core DASH rewriter ('license' kind). It is written twice — `dashif:laurl` in the DASH-IF IOP
 * Clear Key namespace (https://dashif.org/) that dash.js and the guidelines use, and `Laurl` in
 * the DASH-IF content-protection namespace (https://dashif.org/CPS) that shaka-player reads.
 */
import { CLEARKEY_SYSTEM_ID } from '../cenc/index.js';
import { kidUuid } from './keys.js';
import { SEGMENT_TEMPLATE } from './track.js';
import type { PublishedSegment } from './protect.js';

/** Never resolves (RFC 2606 .invalid): an MPD served without rewriting fails closed. */
export const LICENSE_URL_PLACEHOLDER = 'https://license.tollgate.invalid/clearkey';

const CLEARKEY_SCHEME = `urn:uuid:${kidUuid(Buffer.from(CLEARKEY_SYSTEM_ID).toString('hex'))}`;

export interface MpdRepresentation {
  readonly id: string;
  readonly kind: 'video' | 'audio';
  readonly codecs: string;
  readonly bandwidth: number;
  readonly width?: number;
  readonly height?: number;
  readonly sampleRate?: number;
  readonly channels?: number;
  readonly timescale: number;
  readonly segments: readonly PublishedSegment[];
  /** default_KID (hex) in each Period. */
  readonly kids: readonly string[];
}

export interface MpdModel {
  readonly durationSec: number;
  readonly minBufferSec: number;
  /** Period p starts at p × rotationSec; one Period without rotation. */
  readonly rotationSec?: number;
  /** The W3C common pssh box of each Period. */
  readonly pssh: readonly Uint8Array[];
  readonly representations: readonly MpdRepresentation[];
}

export function formatMpd(model: MpdModel): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" xmlns:dashif="https://dashif.org/"` +
      ` xmlns:cps="https://dashif.org/CPS" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static"` +
      ` mediaPresentationDuration="${isoDuration(model.durationSec)}" minBufferTime="${isoDuration(model.minBufferSec)}">`,
  ];
  model.pssh.forEach((pssh, period) => {
    const startSec = period * (model.rotationSec ?? 0);
    out.push(`  <Period id="${period}" start="${isoDuration(startSec)}">`);
    for (const [set, kind] of (['video', 'audio'] as const).entries()) {
      const reps = model.representations.filter((r) => r.kind === kind);
      if (reps.length === 0) continue;
      const picture = kind === 'video' ? ` maxWidth="${Math.max(...reps.map((r) => r.width ?? 0))}" maxHeight="${Math.max(...reps.map((r) => r.height ?? 0))}"` : '';
      out.push(`    <AdaptationSet id="${set}" contentType="${kind}" mimeType="${kind}/mp4" segmentAlignment="true" startWithSAP="1"${picture}>`);
      for (const rep of reps) out.push(...representation(rep, period, startSec, pssh));
      out.push('    </AdaptationSet>');
    }
    out.push('  </Period>');
  });
  out.push('</MPD>', '');
  return out.join('\n');
}

function representation(rep: MpdRepresentation, period: number, startSec: number, pssh: Uint8Array): string[] {
  const kid = rep.kids[period]!;
  const segments = rep.segments.filter((s) => s.period === period);
  const media =
    rep.kind === 'video'
      ? ` width="${rep.width}" height="${rep.height}" sar="1:1"`
      : ` audioSamplingRate="${rep.sampleRate}"`;
  return [
    `      <Representation id="${xml(rep.id)}" codecs="${xml(rep.codecs)}" bandwidth="${rep.bandwidth}"${media}>`,
    ...(rep.kind === 'audio'
      ? [`        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${rep.channels}"/>`]
      : []),
    `        <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="${kidUuid(kid)}"/>`,
    `        <ContentProtection schemeIdUri="${CLEARKEY_SCHEME}" value="ClearKey1.0">`,
    `          <dashif:laurl>${LICENSE_URL_PLACEHOLDER}</dashif:laurl>`,
    `          <cps:Laurl licenseType="EME-1.0">${LICENSE_URL_PLACEHOLDER}</cps:Laurl>`,
    `          <cenc:pssh>${Buffer.from(pssh).toString('base64')}</cenc:pssh>`,
    '        </ContentProtection>',
    // presentationTimeOffset = the Period start on the media timeline: media time maps 1:1 to presentation time.
    `        <SegmentTemplate timescale="${rep.timescale}" presentationTimeOffset="${Math.round(startSec * rep.timescale)}"` +
      ` startNumber="${segments[0]!.number}" initialization="${xml(rep.id)}/init-${period}.m4s" media="${xml(rep.id)}/${SEGMENT_TEMPLATE}">`,
    '          <SegmentTimeline>',
    ...timeline(segments).map((s) => `            ${s}`),
    '          </SegmentTimeline>',
    '        </SegmentTemplate>',
    '      </Representation>',
  ];
}

/** S elements, with t only where the timeline starts or jumps and r for runs of equal durations. */
function timeline(segments: readonly PublishedSegment[]): string[] {
  const runs: { t?: number; d: number; r: number }[] = [];
  let next: number | undefined;
  for (const s of segments) {
    const last = runs.at(-1);
    if (last && s.start === next && s.duration === last.d) last.r++;
    else runs.push({ ...(s.start === next ? {} : { t: s.start }), d: s.duration, r: 0 });
    next = s.start + s.duration;
  }
  return runs.map((s) => `<S${s.t === undefined ? '' : ` t="${s.t}"`} d="${s.d}"${s.r ? ` r="${s.r}"` : ''}/>`);
}

/** xs:duration with millisecond precision, e.g. PT4.011S. */
function isoDuration(sec: number): string {
  return `PT${Number(sec.toFixed(3))}S`;
}

function xml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}
