/**
 * Automatic responses to a finding, as its detector's settings name them: end the session,
 * revoke the login (every login and stream of the user), require MFA again (the logins end
 * and the next playback start needs a login with a second factor, playback/service.ts), block
 * the address or its network (/24, /64) for a while. Each one taken is recorded as an `action`
 * event and listed on the alert with the admin call that undoes it; in dry-run each is only
 * listed, marked dry_run, and nothing is done.
 */
import type { Finding, ResponseKind } from '../../core/detectors/index.js';
import { ipNetworkOf } from '../../core/playback-token-ip.js';
import type { AlertAction, WatchtowerStore } from '../../core/ports.js';
import type { OperatorService } from '../admin/operator.js';
import type { BlockList } from './block-list.js';
import type { EventInput } from './events.js';

/** Where action events go: the event recorder (which assigns ids and times). */
export type RecordEvent = (event: EventInput) => void;

export interface ResponseDeps {
  readonly store: WatchtowerStore;
  readonly operator: OperatorService;
  readonly blocks: BlockList;
  readonly record: RecordEvent;
  readonly now: () => number;
}

/** The response's target for this finding; undefined when the finding has none (e.g. no session). */
function targetOf(kind: ResponseKind, f: Finding): string | undefined {
  switch (kind) {
    case 'end_session':
      return f.sessionId;
    case 'revoke_login':
    case 'require_mfa':
      return f.userId;
    case 'block_address':
      return f.ip === undefined ? undefined : ipNetworkOf(f.ip, 32, 128);
    case 'block_network':
      return f.ip === undefined ? undefined : ipNetworkOf(f.ip, 24, 64);
  }
}

export async function respond(deps: ResponseDeps, kind: ResponseKind, f: Finding, alertId: string, dryRun: boolean, blockMinutes: number): Promise<AlertAction | undefined> {
  const target = targetOf(kind, f);
  if (target === undefined) return undefined;
  const at = deps.now();
  if (dryRun) return { action: kind, target, at, dryRun };
  const undo = await act(deps, kind, target, alertId, blockMinutes, f);
  deps.record({
    kind: 'action',
    decision: 'deny',
    code: kind,
    ...(f.userId !== undefined ? { userId: f.userId } : {}),
    ...(f.sessionId !== undefined ? { sessionId: f.sessionId } : {}),
    ip: f.ip ?? '',
    detail: { alert_id: alertId, detector: f.detector, target },
  });
  return { action: kind, target, at, dryRun, ...(undo !== undefined ? { undo } : {}) };
}

/** Takes the response; returns the admin call that undoes it, if any. */
async function act(deps: ResponseDeps, kind: ResponseKind, target: string, alertId: string, blockMinutes: number, f: Finding): Promise<string | undefined> {
  switch (kind) {
    case 'end_session':
      await deps.operator.endSession(target);
      return undefined;
    case 'revoke_login':
      await deps.operator.revokeUser(target);
      return undefined;
    case 'require_mfa':
      // Recorded before the logins end, so no login made in between escapes it.
      await deps.store.requireMfa(target, alertId, deps.now());
      await deps.operator.revokeUser(target);
      return `DELETE /v1/admin/users/${target}/mfa-requirement`;
    case 'block_address':
    case 'block_network': {
      const block = await deps.blocks.add(target, blockMinutes, `${f.detector}: ${f.summary}`, alertId);
      return block && `DELETE /v1/admin/blocks/${block.id}`;
    }
  }
}
