/**
 * Keeps a playing session's stream slot. Tollgate stops counting (and serving) a stream with no
 * sign of life for TOLLGATE_STREAM_LEASE_SECONDS (default 60), so the page says it is alive
 * well within that; and a refused heartbeat is how the page learns that the stream was ended
 * elsewhere (stopped from another screen, evicted by a newer stream, revoked by an operator).
 */
import { ApiError } from './api.js';

/** Well under the default 60 s lease, so one lost heartbeat does not cost the slot. */
export const HEARTBEAT_SEC = 20;

/** The session is over: 401 (login ended), 403, 404 (no such session), 409 (slot lost), 410. */
const ENDED = new Set([401, 403, 404, 409, 410]);

/**
 * Sends POST /v1/playback/{id}/heartbeat every `seconds` until the returned function is called.
 * `onEnded(message)` is called once if the server refuses one; other failures (offline, 5xx,
 * rate limited) are tried again at the next beat, since the lease outlasts a few of them.
 */
export function keepAlive(api, sessionId, seconds, onEnded) {
  let timer;
  const beat = async () => {
    try {
      await api.request('POST', `/v1/playback/${encodeURIComponent(sessionId)}/heartbeat`);
    } catch (error) {
      if (timer === null) return; // stopped meanwhile
      if (error instanceof ApiError && ENDED.has(error.status)) {
        timer = null;
        onEnded(`Playback stopped: ${error.message}`);
        return;
      }
    }
    if (timer !== null) timer = setTimeout(beat, seconds * 1000);
  };
  timer = setTimeout(beat, seconds * 1000);
  return () => {
    clearTimeout(timer);
    timer = null;
  };
}
