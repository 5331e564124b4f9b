/**
 * The composition root: the one place that turns configuration into stores and services.
 * The server, the CLI and the tests all start here.
 */
import { join } from 'node:path';
import type { DurableStores, HotState } from '../core/ports.js';
import { AccessGuard } from './access/guard.js';
import { loadCountryLookup } from './access/geo.js';
import { OperatorService } from './admin/operator.js';
import { CatalogService } from './catalog/service.js';
import { recoverStaging } from './catalog/staging-area.js';
import type { Config } from './config.js';
import { AccessKeyRing } from './identity/access-keys.js';
import { MfaService } from './identity/mfa.js';
import { IdentityService } from './identity/service.js';
import { loadOrCreateMasterKey } from './keys/master-key-file.js';
import { createSealer, type Sealer } from './keys/sealer.js';
import { GatewayService } from './gateway/service.js';
import { CommunicationKeyRing } from './license/communication-keys.js';
import { EntitlementProxy, inProcessBackend } from './license/proxy.js';
import { remoteBackend } from './license/remote-backend.js';
import { LicenseServer } from './license/server.js';
import { axinomUpstream, type DrmSystem, type UpstreamAdapter } from './license/upstream.js';
import { MediaFiles } from './gateway/files.js';
import { VariantSelector } from './gateway/variants.js';
import { RateLimiter } from './http/rate-limit.js';
import { HttpMetrics } from './monitor/http-metrics.js';
import { MetricsRegistry } from './monitor/metrics.js';
import { SessionLiveness } from './playback/liveness.js';
import { PlaybackKeyRing } from './playback/playback-keys.js';
import { PlaybackService } from './playback/service.js';
import { openDurableStores, openHotState } from './stores/open.js';
import { Pruner } from './stores/pruner.js';
import { openStore } from './startup-error.js';
import { StreamLimiter } from './streams/limiter.js';

export interface Services {
  readonly config: Config;
  readonly stores: DurableStores;
  readonly hot: HotState;
  readonly sealer: Sealer;
  readonly accessKeys: AccessKeyRing;
  readonly identity: IdentityService;
  readonly mfa: MfaService;
  readonly catalog: CatalogService;
  readonly operator: OperatorService;
  readonly playbackKeys: PlaybackKeyRing;
  readonly playback: PlaybackService;
  readonly streams: StreamLimiter;
  readonly gateway: GatewayService;
  readonly mediaFiles: MediaFiles;
  /** Which watermark variant (A/B) each session gets per segment. */
  readonly variants: VariantSelector;
  readonly communicationKeys: CommunicationKeyRing;
  readonly licenseServer: LicenseServer;
  readonly proxy: EntitlementProxy;
  readonly rateLimiter: RateLimiter;
  readonly metrics: MetricsRegistry;
  readonly httpMetrics: HttpMetrics;
  /** Deletes ended sessions and logins; the server starts its timer (main.ts). */
  readonly pruner: Pruner;
  readonly now: () => number;
  /** Notes for the operator at start-up (e.g. a master key was generated). */
  readonly notices: readonly string[];
  close(): Promise<void>;
}

export interface ComposeOptions {
  /** The clock, in Unix milliseconds; tests move it. */
  readonly now?: () => number;
}

export async function compose(config: Config, options: ComposeOptions = {}): Promise<Services> {
  const now = options.now ?? Date.now;
  const notices: string[] = [];
  let masterKey = config.masterKey;
  if (masterKey === undefined) {
    const loaded = await loadOrCreateMasterKey(config.dataDir);
    masterKey = loaded.key;
    if (loaded.created) notices.push(`generated a master key in ${config.dataDir}/master.key (keep it safe and backed up)`);
    if (config.databaseUrl !== undefined) {
      notices.push('TOLLGATE_MASTER_KEY is unset: every instance sharing this database needs the same master key');
    }
  }
  const sealer = createSealer(masterKey);
  // Before any store opens: an unreadable country database is a configuration error (exit 78).
  const countryOf = await loadCountryLookup(config.geoipDb);
  const stores = await (config.databaseUrl === undefined
    ? openStore('the embedded database', 'TOLLGATE_DATA_DIR', config.dataDir, () => openDurableStores({ dataDir: config.dataDir, timeoutMs: config.databaseTimeoutMs }))
    : openStore('PostgreSQL', 'TOLLGATE_DATABASE_URL', config.databaseUrl, () =>
        openDurableStores({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeoutMs: config.databaseTimeoutMs }),
      ));
  const redisUrl = config.redisUrl;
  const hot = await (redisUrl === undefined ? openHotState({ timeoutMs: config.redisTimeoutMs, now }) : openStore('Redis', 'TOLLGATE_REDIS_URL', redisUrl, () => openHotState({ redisUrl, prefix: config.redisPrefix, timeoutMs: config.redisTimeoutMs, now }))).catch(
    async (error: unknown) => {
      await stores.close();
      throw error;
    },
  );
  // What a killed packager left: clear media in staging, a published folder never registered.
  notices.push(...(await recoverStaging(config.dataDir, stores.titles)));

  const accessKeys = new AccessKeyRing(stores.signingKeys, sealer, {
    alg: config.signingAlg,
    retentionMs: IdentityService.keyRetentionMs(config.accessTokenTtlSec, config.clockSkewSec),
    now,
  });
  // Before anything listens, so the JWKS a relying party first fetches already holds the key.
  await accessKeys.current().catch(async (error: unknown) => {
    await Promise.allSettled([stores.close(), hot.close()]);
    throw error;
  });
  const mfa = new MfaService(stores.mfa, sealer, now);
  const identity = new IdentityService(
    stores,
    hot,
    accessKeys,
    mfa,
    {
      issuer: config.publicUrl,
      revocationMarkTtlSec: config.playbackTokenTtlSec,
      accessTokenTtlSec: config.accessTokenTtlSec,
      clockSkewSec: config.clockSkewSec,
      refreshFamilyTtlSec: config.refreshFamilyTtlSec,
      refreshReuseGraceSec: config.refreshReuseGraceSec,
      loginLimits: {
        maxFailuresPerAccount: config.loginMaxFailuresPerAccount,
        maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
        maxFailuresPerAccountTotal: config.loginMaxFailuresPerAccountTotal,
        failureWindowSec: config.loginFailureWindowSec,
      },
      loginConcurrency: config.loginConcurrency,
      loginQueue: config.loginQueue,
    },
    now,
  );
  const catalog = new CatalogService(stores, now);
  const metrics = new MetricsRegistry();
  const playbackKeys = new PlaybackKeyRing(stores.signingKeys, sealer, { retentionMs: (config.playbackTokenTtlSec + 60) * 1000, now });
  const streams = new StreamLimiter(stores, hot, { leaseMs: config.streamLeaseSec * 1000, endedMarkTtlMs: config.playbackTokenTtlSec * 1000 }, now);
  const access = new AccessGuard(stores, countryOf, new URL(config.publicUrl).origin, now);
  const playback = new PlaybackService(stores, hot, playbackKeys, streams, access, config, now);
  const gateway = new GatewayService(stores, playbackKeys, new SessionLiveness(stores, hot, streams, now), now, access);
  const communicationKeys = new CommunicationKeyRing(stores.signingKeys, sealer, { now });
  const licenseServer = new LicenseServer(communicationKeys, hot, upstreamAdapters(config), now, config.clockSkewSec);
  const backend = config.licenseServerUrl
    ? remoteBackend({ url: config.licenseServerUrl, timeoutMs: config.licenseServerTimeoutMs })
    : inProcessBackend(licenseServer);
  const rateLimiter = new RateLimiter(hot, config.rateLimits, now);
  const proxy = new EntitlementProxy(stores, gateway, communicationKeys, sealer, backend, now, (sid) => rateLimiter.check('licensePerSession', sid));
  const pruner = new Pruner(stores, { retentionMs: config.pruneRetentionSec * 1000, intervalMs: config.pruneIntervalSec * 1000, now });

  return {
    config,
    stores,
    hot,
    sealer,
    accessKeys,
    identity,
    mfa,
    catalog,
    operator: new OperatorService(stores, hot, identity, now),
    playbackKeys,
    playback,
    streams,
    gateway,
    mediaFiles: new MediaFiles(join(config.dataDir, 'media'), config.mediaCacheMb << 20, now),
    variants: new VariantSelector(stores, sealer, now),
    communicationKeys,
    licenseServer,
    proxy,
    rateLimiter,
    metrics,
    httpMetrics: new HttpMetrics(metrics),
    pruner,
    now,
    notices,
    async close() {
      pruner.stop();
      await Promise.allSettled([stores.close(), hot.close()]);
    },
  };
}

/** The configured upstream license services, by DRM system. */
function upstreamAdapters(config: Config): Partial<Record<DrmSystem, UpstreamAdapter>> {
  const { upstream } = config;
  if (upstream === undefined) return {};
  return Object.fromEntries(
    Object.entries(upstream.urls).map(([system, url]) => [system, axinomUpstream({ url, comKeyId: upstream.comKeyId, comKey: upstream.comKey })]),
  );
}
