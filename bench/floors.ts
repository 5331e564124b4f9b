/** Starts the reference bare-Node servers of node-floor.ts as their own processes. */
import { join } from 'node:path';
import { freePort, startService, waitFor } from './processes.js';

export type FloorMode = 'stream' | 'memory';

export interface FloorServer {
  readonly base: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const script = join(new URL('.', import.meta.url).pathname, 'node-floor.js');

/** Serves the files under root at the same paths, with no token check. */
export async function startFloor(root: string, mode: FloorMode): Promise<FloorServer> {
  const port = await freePort();
  const service = startService(process.execPath, [script, String(port), root, mode]);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => ((await fetch(`${base}/floor-probe`)).status === 404 ? true : undefined),
      10_000,
      () => `the bare node:http server did not answer on ${base}:\n${service.output()}`,
    );
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { base, pid: service.pid, stop: () => service.stop() };
}
