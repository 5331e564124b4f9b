/**
 * Errors raised before any route or hook runs: a URL the router cannot decode (400), a path
 * segment over the router's limit (414), and requests Node's HTTP parser refuses (a bad
 * request line: 400, headers over the size limit: 431, too slow: 408). Threat: Fastify's and
 * Node's own answers echo the URL — and the playback token in it — in a plain JSON body,
 * without the security and CORS headers. Here they get the same problem+json body, headers
 * and redaction as every other error, and their log lines carry no URL.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { CorsPolicy } from './cors.js';
import { type Problem, problemFor, problemFromError, sendProblem } from './problem.js';

export interface ErrorHeaders {
  readonly cors: CorsPolicy;
  readonly security: Readonly<Record<string, string>>;
}

/** For Fastify's `frameworkErrors`: its reply skips the app's hooks, so the headers are set here. */
export function frameworkErrorHandler({ cors, security }: ErrorHeaders) {
  return (error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    reply.headers({ ...security, ...cors(request.headers.origin) });
    return sendProblem(reply, problemFromError(error).problem);
  };
}

interface ClientError extends Error {
  code?: string;
  /** The bytes the parser stopped at (a Buffer): a chunk of the request, token included. Never logged. */
  rawPacket?: unknown;
}

/** Longest Origin header worth reading out of a request the parser refused. */
const MAX_ORIGIN_LENGTH = 256;

/**
 * The Origin header of a request Node could not parse, read from the chunk it stopped at, so a
 * browser may still read the error. Only an origin the CORS policy allows is echoed back.
 */
function originOf(rawPacket: unknown): string | undefined {
  if (!Buffer.isBuffer(rawPacket)) return undefined;
  const match = /\r\norigin:[ \t]*([^\r\n]*)\r\n/i.exec(rawPacket.toString('latin1'));
  const origin = match?.[1]?.trim();
  return origin !== undefined && origin.length <= MAX_ORIGIN_LENGTH ? origin : undefined;
}

function clientProblem(code: string | undefined): Problem {
  if (code === 'HPE_HEADER_OVERFLOW') return problemFor('headers_too_large', 'the request line and headers are over the size limit');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return problemFor('request_timeout', 'the request took too long to arrive');
  return problemFor('bad_request', 'the request is not valid HTTP/1.1');
}

/** For Fastify's `clientErrorHandler` (called with the app as `this`): answers on the raw socket, then closes it. */
export function clientErrorHandler({ cors, security }: ErrorHeaders) {
  return function (this: { log: FastifyBaseLogger }, error: ClientError, socket: Socket): void {
    // A reset or already destroyed connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const problem = clientProblem(error.code);
    this.log.debug({ clientError: error.code, statusCode: problem.status }, 'refused a request the HTTP parser could not read');
    if (socket.writable) {
      const body = JSON.stringify(problem);
      const headers: Record<string, string | number> = {
        ...security,
        ...cors(originOf(error.rawPacket)),
        'content-type': 'application/problem+json',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      };
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.end(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n${head}\r\n${body}`);
    }
    socket.destroySoon();
  };
}
