/**
 * A Lambda@Edge viewer-request handler for CloudFront that verifies Tollgate playback tokens
 * with `tollgate/core` on WebCrypto (Node 20's globalThis.crypto.subtle), then rewrites the
 * request to the origin's `/<title>/<file>` so CloudFront caches files without the token.
 *
 * Lambda@Edge functions have no environment variables: bundle the output of
 * `npx tollgate keys edge` as PLAYBACK_KEYS when deploying, and redeploy after every
 * `tollgate keys rotate` (until then, tokens under the new key are refused: unknown key).
 */
import { decodeBase64url } from 'tollgate/core';
import { checkPlaybackRequest, problemBody } from './playback-check.js';

/** The parts of the CloudFront event types this handler uses (no @types/aws-lambda dependency). */
export type CloudFrontHeaders = Record<string, { key?: string; value: string }[]>;
export interface CloudFrontRequest {
  clientIp: string;
  method: string;
  uri: string;
  querystring: string;
  headers: CloudFrontHeaders;
}
export interface CloudFrontResponse {
  status: string;
  statusDescription: string;
  headers: CloudFrontHeaders;
  body: string;
}
export interface CloudFrontRequestEvent {
  Records: { cf: { request: CloudFrontRequest } }[];
}

/** `npx tollgate keys edge` output. */
export interface EdgeKeysFile {
  readonly keys: readonly { readonly kid: string; readonly secret: string }[];
}

/** Replaced at deploy time with the output of `npx tollgate keys edge`; empty refuses every token. */
const PLAYBACK_KEYS: EdgeKeysFile = { keys: [] };

export function viewerRequestHandler(file: EdgeKeysFile, now: () => number = Date.now) {
  const secrets = new Map(file.keys.map((k) => [k.kid, decodeBase64url(k.secret)]));
  return async (event: CloudFrontRequestEvent): Promise<CloudFrontRequest | CloudFrontResponse> => {
    const request = event.Records[0]!.cf.request;
    const decision = await checkPlaybackRequest({
      path: request.uri,
      ip: request.clientIp,
      userAgent: request.headers['user-agent']?.[0]?.value ?? '',
      now: now(),
      resolveKey: (kid) => secrets.get(kid),
    });
    if (!decision.allow) {
      return {
        status: String(decision.status),
        statusDescription: decision.code,
        headers: { 'content-type': [{ value: 'application/problem+json' }], 'cache-control': [{ value: 'no-store' }] },
        body: problemBody(decision),
      };
    }
    request.uri = `/${decision.titleId}/${decision.file}`;
    return request;
  };
}

export const handler = viewerRequestHandler(PLAYBACK_KEYS);
