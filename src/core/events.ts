/**
 * Decision events: every grant and denial Tollgate makes, in one shape (CONTRACT.md,
 * "Monitoring"). The server records them; the detectors (pure, time passed in) read them.
 */

export const EVENT_KINDS = [
  'login',
  'refresh',
  'playback_start',
  'heartbeat',
  'manifest',
  'segment',
  'key',
  'license',
  'admin',
  'action',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type Decision = 'grant' | 'deny';

export interface DecisionEvent {
  /** Unique, sortable by time within one instance (assigned when recorded). */
  readonly id: string;
  /** Unix milliseconds. */
  readonly at: number;
  readonly kind: EventKind;
  readonly decision: Decision;
  /** The problem code of a denial (e.g. `stream_limit_reached`), or a grant's detail. */
  readonly code?: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly deviceId?: string;
  readonly titleId?: string;
  /** The client address as Tollgate sees it (after TOLLGATE_TRUST_PROXY). */
  readonly ip: string;
  /** ISO 3166-1 alpha-2, where the country database knows the address. */
  readonly country?: string;
  /** Autonomous system number, where an ASN database is configured. */
  readonly asn?: number;
  /** Segment summaries: how many requests this event stands for (1 otherwise). */
  readonly count?: number;
  /** Small, kind-specific facts (e.g. a segment summary's renditions); never secrets. */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}
