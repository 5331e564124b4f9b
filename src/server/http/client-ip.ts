/**
 * The client address exactly as Fastify derives request.ip, for the fast paths in front of it:
 * X-Forwarded-For is believed only through the trusted proxies (the same library and rule),
 * else the socket's address. Undefined: take the full path.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export function clientIpOf(trustProxy: readonly string[]): (request: IncomingMessage) => string | undefined {
  if (trustProxy.length === 0) return (request) => request.socket.remoteAddress;
  const trust = proxyAddr.compile([...trustProxy]);
  return (request) => proxyAddr.all(request, trust).at(-1);
}
