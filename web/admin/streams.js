/** The live streams panel: counts by title, country and device, and a stream table with End. */
import { admin } from './admin-api.js';
import { el, fill, when } from './dom.js';

const section = () => document.getElementById('streams');

export async function showStreams(onChange) {
  const { sessions } = await admin('GET', '/v1/admin/sessions');
  const root = section();
  root.querySelector('.count').textContent = `(${sessions.length})`;
  for (const list of root.querySelectorAll('ul[data-group]')) fill(list, groups(sessions, list.dataset.group));
  fill(
    root.querySelector('tbody'),
    sessions.map((stream) =>
      el(
        'tr',
        { 'data-session': stream.session_id },
        el('td', {}, when(stream.started_at)),
        el('td', {}, stream.email ?? stream.user_id),
        el('td', {}, stream.title_id),
        el('td', {}, deviceLabel(stream)),
        el('td', {}, stream.country ?? ''),
        el('td', {}, stream.ip ?? ''),
        el('td', {}, el('button', { type: 'button', class: 'end', onclick: () => endStream(stream.session_id, onChange) }, 'End stream')),
      ),
    ),
  );
}

function deviceLabel(stream) {
  return stream.device_name ?? stream.device_id ?? 'unnamed device';
}

function groups(sessions, by) {
  const counts = new Map();
  for (const stream of sessions) {
    const key = by === 'device' ? deviceLabel(stream) : (stream[by] ?? 'unknown');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => el('li', {}, el('span', {}, key), ' ', el('strong', {}, count)));
}

async function endStream(sessionId, onChange) {
  await admin('DELETE', `/v1/admin/sessions/${encodeURIComponent(sessionId)}`);
  await onChange();
}
