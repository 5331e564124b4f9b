/**
 * The live streams panel: counts by title, country and device, and a stream table with End.
 * A stream's address and country are those of its start, read from the playback_start events.
 */
import { admin, query } from './admin-api.js';
import { el, fill, when } from './dom.js';

const section = () => document.getElementById('streams');

export async function showStreams(onChange) {
  const [{ sessions }, places] = await Promise.all([admin('GET', '/v1/admin/sessions'), startPlaces()]);
  for (const stream of sessions) Object.assign(stream, places.get(stream.session_id));
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

/** session id → {ip, country} of the last day's granted starts (newest 1000). */
async function startPlaces() {
  const since = new Date(Date.now() - 24 * 3_600_000).toISOString();
  const { events } = await admin('GET', `/v1/admin/events${query({ kind: 'playback_start', decision: 'grant', since, limit: 1000 })}`);
  return new Map(events.filter((e) => e.session_id).map((e) => [e.session_id, { ip: e.ip, country: e.country }]));
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
