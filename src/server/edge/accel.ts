/**
 * X-Accel-Redirect mode (TOLLGATE_SEND_FILE=x-accel): nginx proxies every gateway request to
 * Tollgate, Tollgate decides it as always (token, bindings, liveness, origin, fast path
 * included) and answers a granted segment with an empty body and `X-Accel-Redirect` naming
 * the file under nginx's `internal` location, which nginx then sends with sendfile (ranges
 * and conditional requests included). Refusals are Tollgate's problem+json, passed through.
 * Threat: a redirect to a file the request was not granted — the path is the one the
 * bindings checked (a plain relative path inside the title), each segment percent-encoded,
 * and the internal location is unreachable from outside nginx.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { IMMUTABLE_MEDIA, type MediaFile } from '../gateway/files.js';

export const ACCEL_HEADER = 'x-accel-redirect';

/** The headers of a granted segment in x-accel mode (the body is empty). */
export function accelHeaders(prefix: string, titleId: string, path: string, media: Pick<MediaFile, 'type'>): OutgoingHttpHeaders {
  const target = `${prefix}${[titleId, ...path.split('/')].map(encodeURIComponent).join('/')}`;
  return { ...IMMUTABLE_MEDIA, 'content-type': media.type, [ACCEL_HEADER]: target };
}
