/**
 * From the segments read off a leak to named sessions (issue 13): every session of the title on
 * record is ranked (rank.ts), and each one named with confidence becomes an alert through the
 * watchtower (detector `forensic_watermark`: stored, deduplicated per session, counted, sent to
 * the webhook, answered with the responses the operator configured), carrying the session, its
 * user and device. Its evidence is an `admin` event recording the detection (title, session,
 * user, device, p-value, agreement). A session not named with confidence raises nothing: the
 * p-value bound (alpha) is what keeps innocent viewers out of the alerts.
 */
import type { Finding } from '../../core/detectors/index.js';
import type { SegmentReading } from '../../media/watermark/detect.js';
import type { Services } from '../compose.js';
import { rankSessions } from './rank.js';

/** Candidates reported, best first. */
const REPORTED = 5;
const MAX_SESSIONS = 1_000_000;

export interface Candidate {
  readonly session_id: string;
  readonly user_id: string;
  readonly device_id: string | null;
  readonly agree: number;
  readonly read: number;
  readonly p_value: number;
  readonly confident: boolean;
}

/** The segments read off the leak on the grid of a protocol's segments, numbered as its segment files. */
export type ReadingsOf = (protocol: 'hls' | 'dash') => readonly SegmentReading[];

export async function nameSuspects(
  services: Services,
  titleId: string,
  watermarkKey: Uint8Array,
  readingsOf: ReadingsOf,
  alpha: number,
): Promise<{ sessions_compared: number; candidates: Candidate[] }> {
  const sessions = await services.stores.playbackSessions.listForTitle(titleId, MAX_SESSIONS);
  const byId = new Map(sessions.map((s) => [s.id, s]));
  // Each session is compared on the segments of the protocol it played; the correction counts all.
  const ranked = (['hls', 'dash'] as const)
    .flatMap((protocol) => {
      const ids = sessions.filter((s) => (s.protocol === 'dash') === (protocol === 'dash')).map((s) => s.id);
      return ids.length === 0 ? [] : rankSessions(readingsOf(protocol), ids, watermarkKey, alpha, sessions.length);
    })
    .sort((x, y) => x.pValue - y.pValue || y.agree - x.agree)
    .map(
    (r): Candidate => ({
      session_id: r.sessionId,
      user_id: byId.get(r.sessionId)!.userId,
      device_id: byId.get(r.sessionId)!.deviceId,
      agree: r.agree,
      read: r.read,
      p_value: r.pValue,
      confident: r.confident,
    }),
  );
  for (const suspect of ranked.filter((c) => c.confident)) await services.watchtower.report(leakFinding(services, titleId, suspect));
  return { sessions_compared: sessions.length, candidates: ranked.slice(0, REPORTED) };
}

function leakFinding(services: Services, titleId: string, c: Candidate): Finding {
  const device = c.device_id ?? 'none';
  const event = services.events.recorder.record({
    kind: 'admin',
    decision: 'grant',
    code: 'forensic_watermark',
    userId: c.user_id,
    sessionId: c.session_id,
    ...(c.device_id !== null ? { deviceId: c.device_id } : {}),
    titleId,
    ip: '',
    detail: { p_value: c.p_value, agree: c.agree, read: c.read },
  });
  return {
    detector: 'forensic_watermark',
    subject: `session:${c.session_id}`,
    severity: 'high',
    summary:
      `a leaked copy of title ${titleId} traced to session ${c.session_id} (user ${c.user_id}, device ${device}): ` +
      `${c.agree} of ${c.read} segments agree, p = ${c.p_value.toExponential(2)}`,
    evidence: event === undefined ? [] : [event.id],
    at: services.now(),
    userId: c.user_id,
    sessionId: c.session_id,
  };
}
