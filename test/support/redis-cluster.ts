/**
 * A Redis Cluster of the test's own: three `redis-server --cluster-enabled yes` masters on
 * free ports in a temporary folder, joined by `redis-cli --cluster create` (no replicas), up
 * once every node reports `cluster_state:ok`. Like the machine's Redis, it keeps nothing on
 * disk. remove() stops the nodes and deletes the folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, until } from './private-stores.js';

const run = promisify(execFile);

/** The cluster bus listens on the node's port + 10000. */
const BUS_OFFSET = 10_000;

export interface RedisClusterNode {
  readonly port: number;
  readonly url: string;
}

export interface TestRedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** The nodes' URLs, as TOLLGATE_REDIS_CLUSTER_NODES takes them. */
  readonly setting: string;
  /** redis-cli against one node, e.g. `cli(0, 'CLUSTER', 'KEYSLOT', 'k')`; returns its output. */
  cli(node: number, ...args: string[]): Promise<string>;
  /** Kills one node (SIGKILL: its data is gone) and starts it again, empty, on its port and cluster config. */
  restartEmpty(node: number): Promise<void>;
  remove(): Promise<void>;
}

/** A free port whose bus port (+10000) is free too. */
async function freeNodePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET > 65_535) continue;
    const bus = await freePort();
    if (bus !== port + BUS_OFFSET) return port;
  }
}

export async function startRedisCluster(size = 3): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-redis-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: RedisClusterNode[] = [];
  const cli = async (node: number, ...args: string[]) => (await run('redis-cli', ['-p', String(nodes[node]!.port), ...args])).stdout;
  const remove = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  const launch = async (i: number) => {
    const { port } = nodes[i]!;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)];
    children[i] = spawn('redis-server', [...args, '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('Redis Cluster node', async () => {
      if (!(await cli(i, 'ping')).includes('PONG')) throw new Error('no PONG');
    });
  };
  const healthy = async (i: number) =>
    until('Redis Cluster', async () => {
      if (!(await cli(i, 'cluster', 'info')).includes('cluster_state:ok')) throw new Error('cluster_state is not ok');
    });
  try {
    for (let i = 0; i < size; i++) {
      const port = await freeNodePort();
      nodes.push({ port, url: `redis://127.0.0.1:${port}` });
      await launch(i);
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (let i = 0; i < size; i++) await healthy(i);
  } catch (error) {
    await remove();
    throw error;
  }
  const restartEmpty = async (i: number) => {
    const child = children[i]!;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    await launch(i);
    for (let n = 0; n < size; n++) await healthy(n);
  };
  return { nodes, setting: nodes.map((n) => n.url).join(','), cli, restartEmpty, remove };
}
