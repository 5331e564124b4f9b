/**
 * Connecting to Redis: one server from a URL, or a Redis Cluster from the URLs of some of its
 * nodes (the client learns the rest, and which node serves which slot, from any one of them).
 *
 * During an outage callers get an error within the timeout and fail closed (503): commands
 * are not queued while disconnected, nor retried, and one unanswered (a frozen server) times
 * out. ioredis keeps reconnecting by itself (a Cluster re-reads the slot map), so service
 * resumes when Redis is back.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Socket as NetStream } from 'node:net';
import type { RedisClient } from './client.js';

/**
 * How long start-up waits for Redis to become ready. ioredis itself would wait for ever on a
 * server that accepts connections but never answers (a wrong port, a stuck proxy).
 */
export const REDIS_OPEN_TIMEOUT_MS = 5_000;

const commandBounds = (timeoutMs: number) => ({ connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0 });

export function connectRedis(url: string, timeoutMs: number): Promise<RedisClient> {
  return ready(new Redis(url, { lazyConnect: true, enableOfflineQueue: false, ...commandBounds(timeoutMs) }), timeoutMs);
}

/** `urls`: redis:// or rediss:// URLs of cluster nodes, one credential for all (config.ts checks). */
export function connectCluster(urls: readonly string[], timeoutMs: number): Promise<RedisClient> {
  return ready(clusterClient(urls, { lazyConnect: true, enableOfflineQueue: false, ...commandBounds(timeoutMs) }, timeoutMs), timeoutMs);
}

/** Where Redis is: one server's URL, or the URLs of some nodes of a cluster. */
export type RedisTarget = { readonly url: string } | { readonly clusterNodes: readonly string[] };

/**
 * A client for the event bus (monitor/redis-event-bus.ts): unlike the hot state's, it connects
 * at once, queues commands while reconnecting (publishing only buffers; readers retry) and
 * retries a command once, each bounded by `commandTimeoutMs`.
 */
export function busClient(target: RedisTarget, connectTimeoutMs: number, commandTimeoutMs: number): RedisClient {
  const options = { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: connectTimeoutMs, commandTimeout: commandTimeoutMs };
  const client = 'url' in target ? new Redis(target.url, options) : clusterClient(target.clusterNodes, options, connectTimeoutMs);
  client.on('error', () => undefined); // failures reach the commands; ioredis reconnects by itself
  return client;
}

function clusterClient(urls: readonly string[], options: RedisOptions, timeoutMs: number): Cluster {
  const parsed = urls.map((u) => new URL(u));
  const first = parsed[0]!;
  const { lazyConnect, enableOfflineQueue, ...perNode } = options;
  return new Cluster(
    parsed.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    {
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      slotsRefreshTimeout: timeoutMs,
      redisOptions: {
        ...perNode,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    },
  );
}

async function ready(client: RedisClient, timeoutMs: number): Promise<RedisClient> {
  // Connection errors reach callers as failed commands; this listener keeps the cause (e.g.
  // ECONNREFUSED) for the open error, which ioredis would otherwise call "Connection is closed".
  let cause: unknown;
  client.on('error', (error: unknown) => (cause = error));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silent(REDIS_OPEN_TIMEOUT_MS)), REDIS_OPEN_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.connect(), timeout]);
    return client;
  } catch (error) {
    client.disconnect();
    // disconnect() only half-closes a socket still waiting for Redis's first answer; a silent
    // peer would then hold the process open for seconds more.
    if (client instanceof Redis) (client.stream as NetStream | undefined)?.destroy();
    // A silent server fails the connection's first command (ioredis: "Command timed out").
    const reason = cause ?? error;
    throw (reason as Error).message === 'Command timed out' ? silent(timeoutMs) : reason;
  } finally {
    clearTimeout(timer);
  }
}

function silent(afterMs: number): Error {
  return new Error(`no answer within ${afterMs / 1000} s`);
}
