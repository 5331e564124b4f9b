/**
 * The two Redis clients the hot state runs on: one server (or a Sentinel-managed one) through
 * ioredis's Redis, or a Redis Cluster through its Cluster client, which routes each command
 * to the node serving its key's slot.
 */
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/**
 * Calls `changed` whenever a connection to a server closes or becomes ready: on a cluster, the
 * connection to any node (a node that restarted or failed over may have come back empty).
 */
export function onConnectionChange(client: RedisClient, changed: (event: 'close' | 'ready') => void): void {
  const watch = (connection: Redis | Cluster) => {
    connection.on('close', () => changed('close'));
    connection.on('ready', () => changed('ready'));
  };
  if (!client.isCluster) return watch(client);
  client.on('+node', (node: Redis) => watch(node));
  // A node dropped from the cluster's map takes its data's history with it.
  client.on('-node', () => changed('close'));
}
