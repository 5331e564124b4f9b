/**
 * Puts an HLS manifest URL on a <video>: hls.js over Media Source Extensions where the browser
 * has them, the browser's own HLS otherwise (Safari on iOS before MSE). The manifest URL carries
 * the playback token in its path, so neither way adds headers or cookies. Also the pieces the
 * DASH player (dash.js) shares: loading a player library, releasing the media, and the message
 * for a refused request.
 */

const libraries = new Map();

/**
 * Seconds of media fetched ahead. A session ended elsewhere (stopped, evicted, revoked) keeps
 * playing what is already buffered, so this bounds how long it lingers.
 */
export const FORWARD_BUFFER_SEC = 30;

/** hls.js settings: the forward buffer capped, however slowly the picture plays. */
export const HLS_CONFIG = Object.freeze({ maxBufferLength: FORWARD_BUFFER_SEC, maxMaxBufferLength: FORWARD_BUFFER_SEC });

/** Statuses by which Tollgate refuses a token or session: retrying another URL of the same session cannot help. */
export const REFUSED = new Set([401, 403, 410]);

/**
 * Loads a player library (a classic script setting `window[name]`) once, on the first play:
 * they are large and each is only needed for one protocol.
 */
export function loadScript(path, name) {
  if (!libraries.has(path)) {
    const loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = new URL(path, import.meta.url).href;
      script.onload = () => resolve(window[name]);
      script.onerror = () => {
        libraries.delete(path); // let the next play try again
        script.remove();
        reject(new Error(`Could not load the player (${path}).`));
      };
      document.head.append(script);
    });
    libraries.set(path, loading);
  }
  return libraries.get(path);
}

/**
 * Starts playing `url` on `video`. `onFatal(message)` is called once if playback dies (the
 * gateway refused the token, the session was ended elsewhere, the media is broken); the
 * caller then calls the returned function, which stops playback and releases the media.
 */
export async function attach(video, url, onFatal) {
  const mse = 'MediaSource' in window || 'ManagedMediaSource' in window;
  if (!mse && video.canPlayType('application/vnd.apple.mpegurl')) {
    const done = new AbortController();
    const failed = () => onFatal(`Playback failed (media error ${video.error?.code ?? '?'}).`);
    video.addEventListener('error', failed, { once: true, signal: done.signal });
    video.src = url;
    return () => {
      done.abort();
      releaseMedia(video);
    };
  }
  const Hls = await loadScript('assets/hls.min.js', 'Hls');
  if (!Hls.isSupported()) throw new Error('This browser cannot play HLS.');
  const hls = new Hls({ ...HLS_CONFIG });
  let failed = false;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    const status = data.response?.code;
    // hls.js retries non-fatal errors itself, but after a refusal it would only try other
    // renditions of the same ended session while the page says "Buffering…".
    if (failed || (!data.fatal && !REFUSED.has(status))) return;
    failed = true;
    onFatal(refusal(status, responseText(data.networkDetails)) ?? `Playback failed: ${data.details}${status ? ` (HTTP ${status})` : ''}.`);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return () => {
    hls.destroy();
    releaseMedia(video);
  };
}

/** The text of a failed hls.js request; an XHR for binary (keys, segments) throws when asked for it. */
function responseText(request) {
  try {
    return request?.responseText;
  } catch {
    return undefined;
  }
}

export function releaseMedia(video) {
  video.removeAttribute('src');
  video.load();
}

/**
 * Why Tollgate refused a request: its problem+json detail when the response had one, else the
 * refusal status; undefined when the failure was not a refusal.
 */
export function refusal(status, responseText) {
  let detail;
  try {
    detail = JSON.parse(responseText ?? '').detail;
  } catch {
    // segment responses are binary and have no readable text; fall through
  }
  if (typeof detail === 'string') return `Playback stopped: ${detail}`;
  if (REFUSED.has(status)) return `Playback stopped: the server refused the stream (HTTP ${status}).`;
  return undefined;
}
