/**
 * The composition root: the one place that turns configuration into stores and services.
 * The server, the CLI and the tests all start here.
 */
import { join } from 'node:path';
import type { DurableStores, HotState } from '../core/ports.js';
import { CatalogService } from './catalog/service.js';
import { recoverStaging } from './catalog/staging-area.js';
import type { Config } from './config.js';
import { AccessKeyRing } from './identity/access-keys.js';
import { IdentityService } from './identity/service.js';
import { loadOrCreateMasterKey } from './keys/master-key-file.js';
import { createSealer, type Sealer } from './keys/sealer.js';
import { GatewayService } from './gateway/service.js';
import { CommunicationKeyRing } from './license/communication-keys.js';
import { EntitlementProxy, inProcessBackend, remoteBackend } from './license/proxy.js';
import { LicenseServer } from './license/server.js';
import { axinomUpstream, type DrmSystem, type UpstreamAdapter } from './license/upstream.js';
import { MediaFiles } from './gateway/files.js';
import { HttpMetrics } from './monitor/http-metrics.js';
import { MetricsRegistry } from './monitor/metrics.js';
import { SessionLiveness } from './playback/liveness.js';
import { PlaybackKeyRing } from './playback/playback-keys.js';
import { PlaybackService } from './playback/service.js';
import { openDurableStores, openHotState } from './stores/open.js';

export interface Services {
  readonly config: Config;
  readonly stores: DurableStores;
  readonly hot: HotState;
  readonly sealer: Sealer;
  readonly accessKeys: AccessKeyRing;
  readonly identity: IdentityService;
  readonly catalog: CatalogService;
  readonly playbackKeys: PlaybackKeyRing;
  readonly playback: PlaybackService;
  readonly gateway: GatewayService;
  readonly mediaFiles: MediaFiles;
  readonly communicationKeys: CommunicationKeyRing;
  readonly licenseServer: LicenseServer;
  readonly proxy: EntitlementProxy;
  readonly metrics: MetricsRegistry;
  readonly httpMetrics: HttpMetrics;
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
  const stores = await openDurableStores({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const hot = await openHotState({ redisUrl: config.redisUrl, now }).catch(async (error: unknown) => {
    await stores.close();
    throw error;
  });
  // What a killed packager left: clear media in staging, a published folder never registered.
  notices.push(...(await recoverStaging(config.dataDir, stores.titles)));

  const accessKeys = new AccessKeyRing(stores.signingKeys, sealer, {
    alg: config.signingAlg,
    retentionMs: IdentityService.keyRetentionMs(config.accessTokenTtlSec, config.clockSkewSec),
    now,
  });
  const identity = new IdentityService(
    stores,
    hot,
    accessKeys,
    {
      issuer: config.publicUrl,
      revocationMarkTtlSec: config.playbackTokenTtlSec,
      accessTokenTtlSec: config.accessTokenTtlSec,
      clockSkewSec: config.clockSkewSec,
      refreshFamilyTtlSec: config.refreshFamilyTtlSec,
      loginMaxFailuresPerAccount: config.loginMaxFailuresPerAccount,
      loginMaxFailuresPerAddress: config.loginMaxFailuresPerAddress,
      loginFailureWindowSec: config.loginFailureWindowSec,
    },
    now,
  );
  const catalog = new CatalogService(stores, now);
  const metrics = new MetricsRegistry();
  const playbackKeys = new PlaybackKeyRing(stores.signingKeys, sealer, { retentionMs: (config.playbackTokenTtlSec + 60) * 1000, now });
  const playback = new PlaybackService(stores, hot, playbackKeys, config, now);
  const gateway = new GatewayService(stores, playbackKeys, new SessionLiveness(stores, hot, now), now);
  const communicationKeys = new CommunicationKeyRing(stores.signingKeys, sealer, { now });
  const licenseServer = new LicenseServer(communicationKeys, hot, upstreamAdapters(config), now, config.clockSkewSec);
  const backend = config.licenseServerUrl ? remoteBackend(config.licenseServerUrl) : inProcessBackend(licenseServer);
  const proxy = new EntitlementProxy(stores, gateway, communicationKeys, sealer, backend, now);

  return {
    config,
    stores,
    hot,
    sealer,
    accessKeys,
    identity,
    catalog,
    playbackKeys,
    playback,
    gateway,
    mediaFiles: new MediaFiles(join(config.dataDir, 'media'), config.mediaCacheMb << 20),
    communicationKeys,
    licenseServer,
    proxy,
    metrics,
    httpMetrics: new HttpMetrics(metrics),
    now,
    notices,
    async close() {
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
