/**
 * The open alerts panel: each alert with its evidence (the events behind it, loaded on demand)
 * and one-click actions: end the stream, revoke the user, lift a block, resolve.
 */
import { admin, query } from './admin-api.js';
import { el, fill, when } from './dom.js';

const section = () => document.getElementById('alerts');

export async function showAlerts(onChange) {
  const { alerts } = await admin('GET', '/v1/admin/alerts?status=open');
  const root = section();
  root.querySelector('.count').textContent = `(${alerts.length})`;
  root.querySelector('.empty').hidden = alerts.length > 0;
  fill(root.querySelector('ol'), alerts.map((alert) => alertItem(alert, onChange)));
}

function alertItem(alert, onChange) {
  const evidence = el('ul', { class: 'evidence', hidden: true });
  const act = (label, cls, call) =>
    el('button', { type: 'button', class: cls, onclick: async () => { await call(); await onChange(); } }, label);
  return el(
    'li',
    { 'data-alert': alert.id, class: `severity-${alert.severity}` },
    el('p', {}, el('strong', {}, alert.detector), ` · ${alert.severity} · ${when(alert.at)}`),
    el('p', { class: 'summary' }, alert.summary),
    alert.actions_taken.length > 0 ? el('p', { class: 'actions-taken' }, `Done automatically: ${alert.actions_taken.map(actionText).join('; ')}`) : null,
    el(
      'div',
      { class: 'actions' },
      el('button', { type: 'button', class: 'show-evidence', onclick: () => showEvidence(alert, evidence) }, `Evidence (${alert.evidence.length})`),
      alert.session_id ? act('End stream', 'end', () => admin('DELETE', `/v1/admin/sessions/${encodeURIComponent(alert.session_id)}`)) : null,
      alert.user_id ? act('Revoke user', 'revoke', () => admin('POST', `/v1/admin/users/${encodeURIComponent(alert.user_id)}/revoke`)) : null,
      ...alert.actions_taken.filter(undoable).map((a) => act(undoLabel(a), 'undo', () => admin(...undoCall(a)))),
      act('Resolve', 'resolve', () => admin('POST', `/v1/admin/alerts/${encodeURIComponent(alert.id)}/resolve`)),
    ),
    evidence,
  );
}

function actionText(action) {
  return `${action.action.replaceAll('_', ' ')} ${action.target}${action.dry_run ? ' (dry run: not done)' : ''}`;
}

/** An automatic response names the admin call that undoes it ("DELETE /v1/admin/blocks/…"); only admin calls are made. */
function undoCall(action) {
  const [method, path] = action.undo.split(' ');
  return [method, path];
}

function undoable(action) {
  if (typeof action.undo !== 'string') return false;
  const [method, path] = undoCall(action);
  return ['DELETE', 'POST'].includes(method) && path.startsWith('/v1/admin/');
}

function undoLabel(action) {
  return action.action.startsWith('block') ? 'Unblock' : `Undo ${action.action.replaceAll('_', ' ')}`;
}

async function showEvidence(alert, list) {
  if (!list.hidden) {
    list.hidden = true;
    return;
  }
  const { events } = await admin('GET', `/v1/admin/events${query({ ids: alert.evidence.join(',') })}`);
  fill(
    list,
    events.map((e) => el('li', {}, `${when(e.at)} ${e.kind} ${e.decision}${e.code ? ` (${e.code})` : ''} · ${e.ip}${e.country ? ` ${e.country}` : ''}${e.title_id ? ` · ${e.title_id}` : ''}`)),
  );
  list.hidden = false;
}
