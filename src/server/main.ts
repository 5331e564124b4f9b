/** Listens: composes the services, builds the app, and shuts down cleanly on SIGINT/SIGTERM. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { compose, type Services } from './compose.js';
import { type Config, reachableHost } from './config.js';
import { listenError } from './startup-error.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  /** A URL it answers on from this machine (the bound port, when port 0 was asked for). */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startServer(config: Config, services?: Services): Promise<RunningServer> {
  const composed = services ?? (await compose(config));
  const app = buildApp(composed);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    await composed.close();
    throw listenError(error, config.host, config.port);
  }
  composed.events.onWarning((message) => app.log.warn(message));
  composed.pruner.start(
    (pruned) => {
      if (pruned.playbackSessions + pruned.refreshFamilies + pruned.rentals + pruned.events > 0) app.log.info({ pruned }, 'deleted ended sessions, logins, rentals and old events');
    },
    (error) => app.log.warn({ err: error }, 'pruning ended sessions and logins failed; retrying at the next interval'),
  );
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let stopping: Promise<void> | undefined;
  return {
    app,
    services: composed,
    url: `${config.tls === undefined ? 'http' : 'https'}://${reachableHost(config.host)}:${port}`,
    stop() {
      stopping ??= app.close().then(() => composed.close());
      return stopping;
    },
  };
}

/** Stops the server on the first SIGINT/SIGTERM. */
export function stopOnSignals(server: RunningServer): void {
  const stop = (): void => {
    server.app.log.info('shutting down');
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
