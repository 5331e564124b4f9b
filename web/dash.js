/**
 * Puts a DASH playback grant on a <video> with shaka-player. Tollgate's DASH titles are CENC
 * encrypted with a key per quality tier and for audio; the browser's Clear Key CDM gets them
 * from `license_url`, the entitlement proxy bound to this playback session: the page sends the
 * CDM's bare request and never handles an entitlement. Clear Key is a software CDM, so the proxy gives it SD and
 * audio keys only, and shaka drops the HD renditions it cannot decrypt instead of failing.
 */
import { loadScript, REFUSED, refusal, releaseMedia } from './playback.js';

const CLEAR_KEY = 'org.w3.clearkey';

let clearKey = null;

/** Whether this browser has a Clear Key CDM for CENC MP4 (EME also needs a secure context). */
export function clearKeySupported() {
  clearKey ??= (async () => {
    try {
      await navigator.requestMediaKeySystemAccess(CLEAR_KEY, [
        { initDataTypes: ['cenc'], videoCapabilities: [{ contentType: 'video/mp4; codecs="avc1.42e01e"' }] },
      ]);
      return true;
    } catch {
      return false; // no EME, no Clear Key, or not a secure context
    }
  })();
  return clearKey;
}

let shakaReady = null;

function loadShaka() {
  shakaReady ??= loadScript('assets/shaka-player.compiled.js', 'shaka').then(
    (shaka) => {
      shaka.polyfill.installAll(); // once: it patches browser APIs
      return shaka;
    },
    (error) => {
      shakaReady = null;
      throw error;
    },
  );
  return shakaReady;
}

/**
 * Starts playing `grant.manifest_url` on `video`, with licenses from `grant.license_url`.
 * `onFatal(message)` is called once if playback dies; the caller then calls the returned
 * function, which stops playback and releases the media.
 */
export async function attachDash(video, grant, onFatal) {
  const shaka = await loadShaka();
  if (!shaka.Player.isBrowserSupported()) throw new Error('This browser cannot play DASH.');
  const player = new shaka.Player();
  let over = false; // failed or released: what shaka reports after that (e.g. LOAD_INTERRUPTED) is noise
  const fail = (error) => {
    if (over) return;
    over = true;
    onFatal(describe(shaka, error));
  };
  // Recoverable errors are retried by shaka itself, except a refusal: the session is over.
  player.addEventListener('error', (event) => {
    const critical = event.detail.severity === shaka.util.Error.Severity.CRITICAL;
    if (critical || REFUSED.has(badStatus(shaka, event.detail)?.data[1])) fail(event.detail);
  });
  // The MPD names the same URL (the gateway writes it in), but the grant is the authority.
  player.configure({
    drm: { servers: { [CLEAR_KEY]: grant.license_url } },
  });
  await player.attach(video).catch((error) => {
    player.destroy().catch(() => {});
    throw error;
  });
  player.load(grant.manifest_url).catch(fail);
  return () => {
    over = true;
    player.destroy().catch(() => {}); // nothing to do if tearing down fails
    releaseMedia(video);
  };
}

/** Tollgate's problem+json detail when an HTTP error carried one (also inside a license failure), else shaka's error name. */
function describe(shaka, error) {
  const http = badStatus(shaka, error);
  const refused = http && refusal(http.data[1], http.data[2]);
  if (refused) return refused;
  const { Code } = shaka.util.Error;
  const name = Object.keys(Code).find((key) => Code[key] === error?.code);
  return name ? `Playback failed: ${name} (shaka error ${error.code}).` : `Playback failed: ${error?.message ?? error}.`;
}

/** The BAD_HTTP_STATUS error (data: uri, status, response text, …) in `error` or the errors it wraps. */
function badStatus(shaka, error) {
  if (!(error instanceof shaka.util.Error)) return undefined;
  if (error.code === shaka.util.Error.Code.BAD_HTTP_STATUS) return error;
  for (const cause of error.data) {
    const found = badStatus(shaka, cause);
    if (found) return found;
  }
  return undefined;
}
