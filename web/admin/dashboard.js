/**
 * The operator dashboard: sign in with the admin token, then every panel refreshes every few
 * seconds. A refused token (401) signs the operator out with the reason shown.
 */
import { AdminError, admin, signIn, signOut, signedIn } from './admin-api.js';
import { showAlerts } from './alerts.js';
import { showCharts } from './charts.js';
import { showStreams } from './streams.js';
import { refreshUser, showUser } from './user.js';

const REFRESH_MS = 5_000;
const $ = (id) => document.getElementById(id);
let timer = null;

function showError(error) {
  $('error').textContent = error ? error.message : '';
  $('error').hidden = !error;
}

function setSignedIn(yes) {
  $('sign-in').hidden = yes;
  $('panels').hidden = !yes;
  $('sign-out').hidden = !yes;
  $('updated').hidden = !yes;
}

async function refresh() {
  clearTimeout(timer);
  try {
    await Promise.all([showStreams(refresh), showAlerts(refresh), showCharts(), refreshUser()]);
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    showError(null);
  } catch (error) {
    if (error instanceof AdminError && error.status === 401) {
      end();
      showError(new Error(`Signed out: ${error.message}`));
      return;
    }
    showError(error);
  }
  if (signedIn()) timer = setTimeout(refresh, REFRESH_MS);
}

function end() {
  clearTimeout(timer);
  signOut();
  setSignedIn(false);
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  signIn($('admin-token').value);
  $('admin-token').value = '';
  try {
    await admin('GET', '/v1/admin/plans'); // proves the token before showing anything
  } catch (error) {
    signOut();
    showError(error);
    return;
  }
  setSignedIn(true);
  await refresh();
});

$('sign-out').addEventListener('click', end);

$('find-user').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await showUser($('user-email').value);
    showError(null);
  } catch (error) {
    showError(error);
  }
});
