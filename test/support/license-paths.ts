/**
 * The two HTTP paths a license_url request can take: the Fastify route (app.inject) and the
 * license fast path in front of it (src/server/license/fast-path.ts), reached only by a real
 * request to the listening server. Tests of license_url run on both, so a check missing on
 * either path fails its run; on the fast path every request must be answered by it (the
 * metric says so) unless the test says it may fall through to Fastify.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

export const LICENSE_PATHS = ['route', 'fast path'] as const;
export type LicensePath = (typeof LICENSE_PATHS)[number];

export interface SentRequest {
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string;
  /** On the fast path: Fastify may answer (the fast path leaves this request to it). */
  readonly mayFallThrough?: boolean;
}

/** The parts of inject()'s response the tests read. */
export interface SentResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Whether the license fast path answered it. */
  readonly fast: boolean;
}

/** inject()'s default user agent, so tokens bound to it hold on either path. */
const INJECT_USER_AGENT = 'lightMyRequest';
const listening = new WeakMap<FastifyInstance, Promise<number>>();

export async function sendLicenseRequest(path: LicensePath, app: FastifyInstance, sent: SentRequest): Promise<SentResponse> {
  const headers = { 'user-agent': INJECT_USER_AGENT, ...sent.headers };
  if (path === 'route') {
    const res = await app.inject({ method: 'POST', url: sent.url, headers, ...(sent.payload !== undefined ? { payload: sent.payload } : {}) });
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, json: () => res.json(), fast: false };
  }
  const before = await fastResponses(app);
  const res = await post(await portOf(app), sent.url, headers, sent.payload);
  const fast = (await fastResponses(app)) === before + 1;
  if (!fast && sent.mayFallThrough !== true) throw new Error(`the license fast path did not answer POST ${sent.url.slice(0, 40)}…`);
  return { ...res, json: () => JSON.parse(res.body), fast };
}

/** The app's port, listening on loopback from the first fast-path request on (app.close() stops it). */
function portOf(app: FastifyInstance): Promise<number> {
  let port = listening.get(app);
  if (port === undefined) {
    port = app.listen({ host: '127.0.0.1', port: 0 }).then(() => (app.server.address() as AddressInfo).port);
    listening.set(app, port);
  }
  return port;
}

async function fastResponses(app: FastifyInstance): Promise<number> {
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  return Number(/^tollgate_license_fast_responses_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

function post(port: number, url: string, headers: Record<string, string>, payload: string | undefined) {
  return new Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const body = payload === undefined ? undefined : Buffer.from(payload);
    const req = httpRequest(
      { host: '127.0.0.1', port, path: url, method: 'POST', agent: false, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
