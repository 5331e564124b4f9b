/** The user view: a subscriber's plan, devices, streams and event timeline, found by email. */
import { admin, query } from './admin-api.js';
import { el, fill, when } from './dom.js';

const view = () => document.getElementById('user-view');
let shown = null;

export async function showUser(email) {
  const { users } = await admin('GET', `/v1/admin/users${query({ email })}`);
  const root = view();
  if (users.length === 0) {
    shown = null;
    root.hidden = true;
    throw new Error(`No user has the email ${email}.`);
  }
  shown = users[0];
  await renderUser();
}

/** Re-reads the shown user, if any (after an action elsewhere on the page). */
export async function refreshUser() {
  if (shown !== null) await showUser(shown.email);
}

async function renderUser() {
  const user = shown;
  const root = view();
  root.querySelector('.summary').textContent = `${user.email} · plan ${user.plan_id}${user.disabled ? ' · disabled' : ''} · since ${when(user.created_at)}`;
  root.querySelector('.revoke').onclick = async () => {
    await admin('POST', `/v1/admin/users/${encodeURIComponent(user.user_id)}/revoke`);
    await refreshUser();
  };
  fill(
    root.querySelector('.devices'),
    user.devices.map((d) => el('li', {}, `${d.name ?? d.device_id} · last seen ${when(d.last_seen_at)}`)),
  );
  fill(
    root.querySelector('.user-streams'),
    user.streams.map((s) => el('li', {}, `${s.title_id} · ${s.protocol} · since ${when(s.started_at)}`)),
  );
  const { events } = await admin('GET', `/v1/admin/events${query({ user_id: user.user_id, limit: 100 })}`);
  fill(
    root.querySelector('.timeline tbody'),
    events.map((e) =>
      el('tr', { class: e.decision }, el('td', {}, when(e.at)), el('td', {}, e.kind), el('td', {}, e.decision), el('td', {}, e.code ?? ''), el('td', {}, e.title_id ?? ''), el('td', {}, e.ip), el('td', {}, e.country ?? '')),
    ),
  );
  root.hidden = false;
}
