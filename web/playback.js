/**
 * Puts a manifest URL on a <video>: hls.js over Media Source Extensions where the browser has
 * them, the browser's own HLS otherwise (Safari on iOS before MSE). The manifest URL carries
 * the playback token in its path, so neither way adds headers or cookies.
 */

let hlsLoading = null;

/** hls.js is large and only needed for the MSE path, so it is loaded on the first play. */
function loadHls() {
  hlsLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = new URL('assets/hls.min.js', import.meta.url).href;
    script.onload = () => resolve(window.Hls);
    script.onerror = () => {
      hlsLoading = null;
      reject(new Error('Could not load the HLS player (assets/hls.min.js).'));
    };
    document.head.append(script);
  });
  return hlsLoading;
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
      release(video);
    };
  }
  const Hls = await loadHls();
  if (!Hls.isSupported()) throw new Error('This browser cannot play HLS.');
  const hls = new Hls();
  let failed = false;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal || failed) return; // hls.js retries non-fatal errors itself
    failed = true;
    onFatal(describe(data));
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return () => {
    hls.destroy();
    release(video);
  };
}

function release(video) {
  video.removeAttribute('src');
  video.load();
}

/** The gateway's problem+json detail when it sent one, else hls.js's own error name. */
function describe(data) {
  const status = data.response?.code;
  let detail;
  try {
    detail = JSON.parse(data.networkDetails?.responseText ?? '').detail;
  } catch {
    // segment responses are binary and have no readable text; fall through
  }
  if (typeof detail === 'string') return `Playback stopped: ${detail}`;
  if (status === 401 || status === 403 || status === 410) return `Playback stopped: the server refused the stream (HTTP ${status}).`;
  return `Playback failed: ${data.details}${status ? ` (HTTP ${status})` : ''}.`;
}
