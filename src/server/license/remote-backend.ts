/**
 * A license server elsewhere (TOLLGATE_LICENSE_SERVER_URL): POST /v1/license/clearkey with the
 * entitlement message in X-Tollgate-Entitlement. Threats: a broken, misconfigured or hostile
 * license server — or whatever answers at its address — handing the CDM keys the proxy would
 * not (other titles' keys, keys withheld by policy, extra or malformed keys), holding the
 * request open, sending an endless body, or answering an error code the transport table does
 * not know (which used to become a 500). So the call is bounded in time and size, the answer
 * is read as strict JSON and checked against what was requested and is licensable
 * (parseClearKeyLicense), a refusal passes through only as a known 4xx code with its own
 * status, and everything else is 502 `bad_gateway` (a wrong answer) or 503 `unavailable` (no
 * answer in time).
 */
import { parseClearKeyLicense } from '../../core/drm/clearkey.js';
import { deny, ERROR_CODES, type ErrorCode, type Denial } from '../../core/errors.js';
import { parseStrictJson } from '../../core/strict-json.js';
import { statusFor } from '../http/problem.js';
import type { LicenseBackend } from './proxy.js';
import type { EntitlementSigner } from './signer.js';

export interface RemoteBackendSettings {
  readonly url: string;
  /** For the whole exchange: connecting, the answer's headers and its body. */
  readonly timeoutMs: number;
}

/** A license of 64 keys is under 6 KiB; a problem body far less. */
const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_JSON_DEPTH = 8;
const MAX_DETAIL_LENGTH = 200;
/** Seconds a client should wait before retrying after the license server failed to answer. */
const RETRY_AFTER_SEC = 5;

export function remoteBackend(settings: RemoteBackendSettings, sign: EntitlementSigner): LicenseBackend {
  return async (entitlement, body, expect) => {
    const message = await sign(entitlement);
    const signal = AbortSignal.timeout(settings.timeoutMs);
    let response: Response;
    let text: string | undefined;
    try {
      response = await fetch(settings.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tollgate-entitlement': message },
        body: JSON.stringify(body),
        signal,
        redirect: 'manual', // a redirect is an answer (502), never followed with the message
      });
      text = await readBounded(response);
    } catch (error) {
      // The detail names the failure, never the URL's credentials or the message.
      const reason = signal.aborted ? `no answer within ${settings.timeoutMs} ms` : ((error as { cause?: { code?: string } }).cause?.code ?? 'connection failed');
      return deny('unavailable', `the license server did not answer (${reason})`, RETRY_AFTER_SEC);
    }
    if (text === undefined) return deny('bad_gateway', `the license server's answer is over ${MAX_ANSWER_BYTES} bytes`);
    const parsed = parseStrictJson(text, MAX_JSON_DEPTH);
    if (response.ok) {
      return parsed.ok ? parseClearKeyLicense(parsed.value, expect) : deny('bad_gateway', "the license server's answer is not JSON");
    }
    return refusal(response.status, parsed.ok ? parsed.value : undefined);
  };
}

/** A known 4xx code answered with its own status passes through; anything else is the server's fault. */
function refusal(status: number, problem: unknown): Denial {
  const { code, detail } = (typeof problem === 'object' && problem !== null ? problem : {}) as { code?: unknown; detail?: unknown };
  if (status >= 400 && status < 500 && isErrorCode(code) && statusFor(code) === status) {
    return deny(code, typeof detail === 'string' ? printable(detail) : 'refused by the license server');
  }
  if (status === 503) return deny('unavailable', 'the license server is unavailable', RETRY_AFTER_SEC);
  return deny('bad_gateway', `the license server answered ${status}${isErrorCode(code) ? '' : ' without a known error code'}`);
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

/** The remote's sentence, shortened and stripped of control characters before a client sees it. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_DETAIL_LENGTH);
}

/** The body as UTF-8 text, or undefined once it passes MAX_ANSWER_BYTES (the rest is never read). */
async function readBounded(response: Response): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES || response.body === null) {
    await response.body?.cancel();
    return declared > MAX_ANSWER_BYTES ? undefined : '';
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.length;
    // Leaving the loop cancels the stream: the rest of the body is never read.
    if (total > MAX_ANSWER_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
