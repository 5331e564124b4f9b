/**
 * The player page: log in, list the subscriber's titles, play one (keeping its stream slot
 * alive, or offering to stop another screen at the plan's limit), stop, log out. Every
 * message shown comes from the API's problem+json `detail`, so the page never guesses why
 * it was refused. Text from the server is set with textContent only, never as HTML.
 */
import { ApiError, TollgateApi } from './api.js';
import { attachDash, clearKeySupported } from './dash.js';
import { deviceId, deviceName } from './device.js';
import { HEARTBEAT_SEC, keepAlive } from './heartbeat.js';
import { attach } from './playback.js';
import { hideScreens, showScreens } from './screens.js';

const $ = (id) => document.getElementById(id);
const video = $('video');

let api;
/** The playing session: its id, and the functions that release the media and stop its heartbeats. */
let playing = null;
/** Title names by id, to name the titles other screens are playing. */
let titleNames = new Map();

/**
 * The API base: ?api=… or <html data-api> for a page hosted elsewhere, else this origin.
 * On the copy Tollgate serves, its Content-Security-Policy stops a crafted ?api= link from
 * sending passwords anywhere but Tollgate.
 */
function apiBase() {
  const given = new URLSearchParams(location.search).get('api') ?? document.documentElement.dataset.api;
  if (!given) return location.origin;
  const url = new URL(given, location.href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`The API URL must be http(s): ${given}`);
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

/**
 * Seconds between heartbeats: ?heartbeat=… (tests use a short one), never more than the
 * default, so a crafted link cannot make the page lose its slot.
 */
function heartbeatSec() {
  const given = Number(new URLSearchParams(location.search).get('heartbeat'));
  return given >= 1 && given < HEARTBEAT_SEC ? given : HEARTBEAT_SEC;
}

function showError(error) {
  $('error').textContent = error instanceof Error ? error.message : String(error);
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

/** Runs a UI action, showing its failure; a lost login sends the user back to the form. */
function action(fn) {
  return async (event) => {
    event?.preventDefault();
    clearError();
    try {
      await fn(event);
    } catch (error) {
      showError(error);
      if (error instanceof ApiError && !api.loggedIn) showLogin();
    }
  };
}

function showLogin() {
  teardown();
  hideScreens($('screens'));
  $('login').hidden = false;
  $('library').hidden = true;
  $('logout').hidden = true;
  $('who').hidden = true;
}

async function showLibrary(email) {
  const [{ titles }, clearKey] = await Promise.all([api.request('GET', '/v1/titles'), clearKeySupported()]);
  titleNames = new Map(titles.map((title) => [title.id, title.name]));
  $('titles').replaceChildren(...titles.map((title) => titleItem(title, protocolFor(title, clearKey))));
  $('empty').hidden = titles.length > 0;
  $('who').textContent = email;
  $('who').hidden = false;
  $('logout').hidden = false;
  $('login').hidden = true;
  $('library').hidden = false;
}

/**
 * DASH where the title has it and the browser has Clear Key, the DRM Tollgate licenses itself;
 * else HLS (AES-128, no DRM needed); undefined when neither can play here.
 */
function protocolFor(title, clearKey) {
  if (title.protocols.includes('dash') && clearKey) return 'dash';
  if (title.protocols.includes('hls')) return 'hls';
  return undefined;
}

function titleItem(title, protocol) {
  const item = document.createElement('li');
  item.dataset.titleId = title.id;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = title.name;
  const length = document.createElement('span');
  length.className = 'duration';
  length.textContent = duration(title.duration_sec);
  const play = document.createElement('button');
  play.type = 'button';
  play.textContent = 'Play';
  play.disabled = protocol === undefined;
  if (play.disabled) play.title = title.protocols.includes('dash') ? 'This browser has no Clear Key DRM for DASH' : 'Not packaged for HLS or DASH';
  play.addEventListener('click', action(() => start(title, protocol)));
  item.append(name, ' ', length, ' ', play);
  return item;
}

function duration(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function start(title, protocol) {
  await stop().catch(() => {}); // a failed end of the old session must not block the new one
  hideScreens($('screens'));
  let grant;
  try {
    grant = await api.request('POST', '/v1/playback', { title_id: title.id, protocol });
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'stream_limit_reached') throw error;
    // At the limit: offer to stop a stream elsewhere, then try this one again.
    const stopThere = (stream) =>
      action(async () => {
        await api.request('DELETE', `/v1/playback/${encodeURIComponent(stream.session_id)}`).catch((stopError) => {
          if (!(stopError instanceof ApiError) || stopError.status !== 404) throw stopError; // 404: it had already ended
        });
        await start(title, protocol);
      })();
    showScreens($('screens'), error.problem?.active_streams ?? [], (id) => titleNames.get(id) ?? id, stopThere);
    return;
  }
  $('now-playing').textContent = title.name;
  $('player').hidden = false;
  setStatus('Loading…');
  playing = { sessionId: grant.session_id, release: null, heartbeats: null };
  const session = playing;
  const onFatal = (message) => {
    if (playing !== session) return;
    showError(message);
    void stop().catch(() => {}); // the session may already be gone; the message above says why
  };
  session.heartbeats = keepAlive(api, grant.session_id, heartbeatSec(), onFatal);
  const attached = protocol === 'dash' ? attachDash(video, grant, onFatal) : attach(video, grant.manifest_url, onFatal);
  const release = await attached.catch(async (error) => {
    if (playing === session) await stop().catch(() => {}); // free the stream slot it took
    throw error;
  });
  if (playing !== session) return release(); // stopped while the player library was loading
  session.release = release;
  // Autoplay may be blocked; a play() cut short by Stop needs no message.
  await video.play().catch(() => playing === session && setStatus('Press play to start.'));
}

/** Releases the media at once, then ends the session so its URLs stop working. */
async function stop() {
  const session = teardown();
  if (session !== null) await api.request('DELETE', `/v1/playback/${encodeURIComponent(session.sessionId)}`);
}

function teardown() {
  const session = playing;
  playing = null;
  session?.heartbeats?.();
  session?.release?.();
  $('player').hidden = true;
  setStatus('');
  $('resolution').textContent = '';
  return session;
}

function setStatus(text) {
  $('status').textContent = text;
}

/**
 * The size of the picture shown, which for DASH is the tier the licenses allowed. Only once a
 * frame is there: before that the size can be that of a rendition whose key never comes.
 */
function showResolution() {
  const shown = video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoHeight > 0;
  $('resolution').textContent = shown ? `${video.videoWidth}×${video.videoHeight}` : '';
}

video.addEventListener('playing', () => setStatus('Playing'));
video.addEventListener('waiting', () => setStatus('Buffering…'));
video.addEventListener('pause', () => playing && setStatus('Paused'));
video.addEventListener('ended', () => setStatus('Ended'));
video.addEventListener('resize', showResolution);
video.addEventListener('loadeddata', showResolution);

$('login').addEventListener(
  'submit',
  action(async () => {
    const email = $('email').value.trim();
    await api.login(email, $('password').value, { id: deviceId(), name: deviceName() });
    $('password').value = '';
    await showLibrary(email);
  }),
);
$('stop').addEventListener('click', action(stop));
$('logout').addEventListener(
  'click',
  action(async () => {
    // End the stream before the login: a revoked login would refuse the DELETE.
    await stop().catch(() => {});
    await api.logout();
    showLogin();
  }),
);

try {
  api = new TollgateApi(apiBase());
  showLogin();
} catch (error) {
  showError(error);
}
