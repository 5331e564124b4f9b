/**
 * The watchtower: reads every decision event (observe, the event recorder's subscriber), runs
 * the detectors, and turns their findings into alerts: stored and deduplicated (a repeat while
 * the alert is open and recent adds its evidence), counted per detector in Prometheus, sent to
 * the signed webhook, and answered with the detector's automatic responses (responses.ts), once
 * per alert. Detectors run synchronously in event order; storing and acting run one finding at
 * a time behind them, in a bounded queue, and never throw back into the recorder.
 */
import { randomUUID } from 'node:crypto';
import { deny, grant, type Verdict } from '../../core/errors.js';
import { createDetectors, type Detector, type Finding } from '../../core/detectors/index.js';
import type { DecisionEvent } from '../../core/events.js';
import type { AlertAction, AlertRecord, WatchtowerStore } from '../../core/ports.js';
import type { OperatorService } from '../admin/operator.js';
import type { BlockList } from './block-list.js';
import type { Counter, MetricsRegistry } from './metrics.js';
import { type RecordEvent, respond } from './responses.js';
import type { WatchtowerConfig } from './watchtower-config.js';
import { WebhookSender } from './webhook.js';

/** Findings waiting to be stored at most; beyond it they are dropped and counted. */
const MAX_QUEUE = 10_000;
/** How often the sensitive titles are re-read from the catalogue. */
const SENSITIVE_REFRESH_MS = 30_000;

export interface WatchtowerDeps {
  readonly config: WatchtowerConfig;
  readonly store: WatchtowerStore;
  readonly operator: OperatorService;
  readonly blocks: BlockList;
  readonly metrics: MetricsRegistry;
  readonly record: RecordEvent;
  readonly now: () => number;
  /** Where failures to store, act or deliver are told (never with a secret). */
  readonly warn: (message: string) => void;
}

export interface AlertView {
  readonly id: string;
  readonly at: string;
  readonly last_at: string;
  readonly detector: string;
  readonly subject: string;
  readonly severity: string;
  readonly user_id?: string;
  readonly session_id?: string;
  readonly ip?: string;
  readonly summary: string;
  readonly evidence: readonly string[];
  readonly actions_taken: readonly { action: string; target: string; at: string; dry_run: boolean; undo?: string }[];
  readonly status: string;
  readonly dry_run: boolean;
  readonly hits: number;
  readonly resolved_at?: string;
}

export function alertView(a: AlertRecord): AlertView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: a.id,
    at: iso(a.createdAt),
    last_at: iso(a.lastAt),
    detector: a.detector,
    subject: a.subject,
    severity: a.severity,
    ...(a.userId !== null ? { user_id: a.userId } : {}),
    ...(a.sessionId !== null ? { session_id: a.sessionId } : {}),
    ...(a.ip !== null ? { ip: a.ip } : {}),
    summary: a.summary,
    evidence: a.evidence,
    actions_taken: a.actionsTaken.map((x) => ({ action: x.action, target: x.target, at: iso(x.at), dry_run: x.dryRun, ...(x.undo !== undefined ? { undo: x.undo } : {}) })),
    status: a.status,
    dry_run: a.dryRun,
    hits: a.hits,
    ...(a.resolvedAt !== null ? { resolved_at: iso(a.resolvedAt) } : {}),
  };
}

export class Watchtower {
  private readonly detectors: Detector[];
  private readonly webhook: WebhookSender | undefined;
  private readonly findings: Counter;
  private readonly opened: Counter;
  private readonly actions: Counter;
  private readonly dropped: Counter;
  private sensitive = new Set<string>();
  private sensitiveReadAt = -Infinity;
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly deps: WatchtowerDeps) {
    const { config, metrics } = deps;
    this.detectors = createDetectors(config.detectors, (titleId) => this.sensitive.has(titleId));
    this.findings = metrics.counter('tollgate_detector_findings_total', 'Findings of each detector (repeats of an open alert included)');
    this.opened = metrics.counter('tollgate_alerts_opened_total', 'Alerts opened, per detector');
    this.actions = metrics.counter('tollgate_automatic_responses_total', 'Automatic responses taken, per detector and action');
    this.dropped = metrics.counter('tollgate_detector_findings_dropped_total', 'Findings dropped because the alert queue was full');
    const failed = metrics.counter('tollgate_alert_webhook_failures_total', 'Alert deliveries that failed every attempt');
    this.webhook =
      config.webhookUrl === undefined || config.webhookSecret === undefined
        ? undefined
        : new WebhookSender({
            url: config.webhookUrl,
            secret: config.webhookSecret,
            attempts: config.webhookAttempts,
            now: deps.now,
            onGiveUp: (reason) => {
              failed.inc();
              deps.warn(`alert webhook delivery failed: ${reason}`);
            },
          });
  }

  /** Reads one decision event (the recorder's subscriber). Never throws. */
  observe(event: DecisionEvent): void {
    if (event.kind === 'action' || event.kind === 'admin') return;
    if (this.deps.now() - this.sensitiveReadAt >= SENSITIVE_REFRESH_MS) this.enqueue(() => this.refreshSensitive());
    for (const detector of this.detectors) {
      const finding = detector.observe(event);
      if (finding !== undefined) {
        this.findings.inc({ detector: finding.detector });
        this.enqueue(() => this.raise(finding));
      }
    }
  }

  /**
   * A finding made outside the event stream (a traced leak, watermark/suspects.ts): raised
   * like the detectors' own (unless its detector is disabled), resolving once stored and acted on.
   */
  async report(finding: Finding): Promise<void> {
    if (!this.deps.config.detectors[finding.detector].enabled) return;
    this.findings.inc({ detector: finding.detector });
    this.enqueue(() => this.raise(finding));
    await this.tail;
  }

  /** Resolves when every finding observed so far has been stored and acted on. */
  settled(): Promise<void> {
    return this.tail;
  }

  async refreshSensitive(): Promise<void> {
    this.sensitive = new Set(await this.deps.store.sensitiveTitles());
    this.sensitiveReadAt = this.deps.now();
  }

  async listAlerts(status: 'open' | 'resolved' | undefined, limit: number): Promise<AlertView[]> {
    return (await this.deps.store.listAlerts(status === undefined ? {} : { status }, limit)).map(alertView);
  }

  async resolveAlert(id: string): Promise<Verdict<AlertView>> {
    const alert = await this.deps.store.resolveAlert(id, this.deps.now());
    return alert === undefined ? deny('not_found', 'no such alert') : grant(alertView(alert));
  }

  /** Flags a title sensitive (or not); the detector sees it at once. */
  async setSensitive(titleId: string, sensitive: boolean): Promise<Verdict<{ title_id: string; sensitive: boolean }>> {
    if (!(await this.deps.store.setSensitive(titleId, sensitive))) return deny('not_found', `title "${titleId}" does not exist`);
    await this.refreshSensitive();
    return grant({ title_id: titleId, sensitive });
  }

  /** Undoes a require_mfa response: the user's plain logins play again. */
  async clearMfaRequirement(userId: string): Promise<Verdict<void>> {
    return (await this.deps.store.clearMfaRequirement(userId)) ? grant(undefined) : deny('not_found', 'this user has no MFA requirement from an alert');
  }

  private enqueue(task: () => Promise<void>): void {
    if (this.queued >= MAX_QUEUE) {
      this.dropped.inc();
      return;
    }
    this.queued++;
    this.tail = this.tail
      .then(task)
      .catch((error: unknown) => this.deps.warn(`watchtower: ${(error as Error).message}`))
      .finally(() => this.queued--);
  }

  private async raise(f: Finding): Promise<void> {
    const { config, store, now } = this.deps;
    const settings = config.detectors[f.detector];
    const at = now();
    const { alert, opened } = await store.raiseAlert(
      { id: randomUUID(), detector: f.detector, subject: f.subject, severity: f.severity, summary: f.summary, userId: f.userId ?? null, sessionId: f.sessionId ?? null, ip: f.ip ?? null, evidence: f.evidence, dryRun: settings.dryRun },
      at - config.dedupeSec * 1000,
      at,
    );
    if (!opened) return;
    this.opened.inc({ detector: f.detector });
    const taken: AlertAction[] = [];
    for (const kind of settings.responses) {
      try {
        const action = await respond(this.deps, kind, f, alert.id, settings.dryRun, settings.blockMinutes);
        if (action === undefined) continue;
        taken.push(action);
        if (!action.dryRun) this.actions.inc({ detector: f.detector, action: kind });
      } catch (error) {
        this.deps.warn(`watchtower: ${kind} for alert ${alert.id} failed: ${(error as Error).message}`);
      }
    }
    if (taken.length > 0) await store.addActions(alert.id, taken);
    void this.webhook?.send({ type: 'alert.opened', alert: alertView({ ...alert, actionsTaken: taken }) });
  }
}
