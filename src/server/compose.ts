/**
 * The composition root: the one place that turns configuration into stores and services.
 * The server, the CLI and the tests all start here.
 */
import { join } from 'node:path';
import type { DurableStores, HotState } from '../core/ports.js';
import { AccessGuard } from './access/guard.js';
import { type AsnLookup, type CountryLookup, loadAsnLookup, loadCountryLookup } from './access/geo.js';
import { OperatorService } from './admin/operator.js';
import { EntitlementCache } from './catalog/entitlement-cache.js';
import { CatalogService } from './catalog/service.js';
import { recoverStaging } from './catalog/staging-area.js';
import type { Config } from './config.js';
import { AccessKeyRing } from './identity/access-keys.js';
import { MfaService } from './identity/mfa.js';
import { IdentityService } from './identity/service.js';
import { loadOrCreateMasterKey } from './keys/master-key-file.js';
import { createSealer, type Sealer } from './keys/sealer.js';
import { GatewayService } from './gateway/service.js';
import { EdgeLinks } from './edge/edge-links.js';
import { type OriginGuard, originGuard } from './edge/origin-guard.js';
import { CommunicationKeyRing } from './license/communication-keys.js';
import { EntitlementProxy, inProcessBackend } from './license/proxy.js';
import { remoteBackend } from './license/remote-backend.js';
import { LicenseServer } from './license/server.js';
import { entitlementSigner } from './license/signer.js';
import { axinomUpstream, type DrmSystem, type UpstreamAdapter } from './license/upstream.js';
import { MediaFiles } from './gateway/files.js';
import { VariantSelector } from './gateway/variants.js';
import { RateLimiter } from './http/rate-limit.js';
import { HttpMetrics } from './monitor/http-metrics.js';
import { BlockList } from './monitor/block-list.js';
import { observeCaches } from './monitor/counted-cache.js';
import { type EventServices, openEventServices } from './monitor/event-services.js';
import type { GeoLookup } from './monitor/events.js';
import { MetricsRegistry } from './monitor/metrics.js';
import { Watchtower } from './monitor/watchtower.js';
import { SessionLiveness } from './playback/liveness.js';
import { PlaybackKeyRing } from './playback/playback-keys.js';
import { PlaybackService } from './playback/service.js';
import { openDurableStores, openHotState } from './stores/open.js';
import { Pruner } from './stores/pruner.js';
import { openStore } from './startup-error.js';
import { StreamLimiter } from './streams/limiter.js';
import { WmTokens } from './watermark/wm-tokens.js';

export interface Services {
  readonly config: Config;
  readonly stores: DurableStores;
  readonly hot: HotState;
  readonly sealer: Sealer;
  readonly accessKeys: AccessKeyRing;
  readonly identity: IdentityService;
  readonly mfa: MfaService;
  readonly catalog: CatalogService;
  /** Confirmed entitlements; told of plan, user and rental changes on every instance. */
  readonly entitlements: EntitlementCache;
  readonly operator: OperatorService;
  readonly playbackKeys: PlaybackKeyRing;
  readonly playback: PlaybackService;
  readonly streams: StreamLimiter;
  readonly gateway: GatewayService;
  readonly mediaFiles: MediaFiles;
  /** Edge mode: signs the segment URIs of rewritten manifests for the edge; undefined = off. */
  readonly edgeLinks: EdgeLinks | undefined;
  /** Origin protection of the gateway routes; undefined = off. */
  readonly originGuard: OriginGuard | undefined;
  /** Which watermark variant (A/B) each session gets per segment. */
  readonly variants: VariantSelector;
  readonly communicationKeys: CommunicationKeyRing;
  readonly licenseServer: LicenseServer;
  readonly proxy: EntitlementProxy;
  readonly rateLimiter: RateLimiter;
  readonly metrics: MetricsRegistry;
  readonly httpMetrics: HttpMetrics;
  /** Blocked addresses and networks, enforced at login, playback start and the gateway. */
  readonly blocks: BlockList;
  /** Detectors, alerts and automatic responses: give it every decision event (observe). */
  readonly watchtower: Watchtower;
  /** Decision events: the recorder every decision goes to, and the bus detectors subscribe to. */
  readonly events: EventServices;
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
  /** Where the watchtower reports failures to store, act or deliver (stderr by default). */
  readonly warn?: (message: string) => void;
  /** Country and network of an address for events; none known by default. */
  readonly geo?: GeoLookup;
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
  const asnOf = await loadAsnLookup(config.asnDb);
  const stores = await (config.databaseUrl === undefined
    ? openStore('the embedded database', 'TOLLGATE_DATA_DIR', config.dataDir, () => openDurableStores({ dataDir: config.dataDir, timeoutMs: config.databaseTimeoutMs }))
    : openStore('PostgreSQL', 'TOLLGATE_DATABASE_URL', config.databaseUrl, () =>
        openDurableStores({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, timeoutMs: config.databaseTimeoutMs }),
      ));
  const hot = await openSharedHotState(config, now).catch(
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
  const entitlements = new EntitlementCache(hot.notices, config.entitlementCacheSec * 1000);
  const catalog = new CatalogService(stores, entitlements, now);
  const metrics = new MetricsRegistry();
  const playbackKeys = new PlaybackKeyRing(stores.signingKeys, sealer, { retentionMs: (config.playbackTokenTtlSec + 60) * 1000, now });
  const streams = new StreamLimiter(stores, hot, { leaseMs: config.streamLeaseSec * 1000, endedMarkTtlMs: config.playbackTokenTtlSec * 1000 }, now);
  const access = new AccessGuard(stores, countryOf, new URL(config.publicUrl).origin, now);
  const variants = new VariantSelector(stores, sealer, now);
  const playback = new PlaybackService(stores, hot, playbackKeys, streams, access, config, now, new WmTokens(variants, config.wmTokenKey));
  const gateway = new GatewayService(stores, playbackKeys, new SessionLiveness(stores, hot, streams, now), now, access, entitlements);
  const communicationKeys = new CommunicationKeyRing(stores.signingKeys, sealer, { now });
  const licenseServer = new LicenseServer(communicationKeys, hot, upstreamAdapters(config), now, config.clockSkewSec);
  const signEntitlement = entitlementSigner(communicationKeys);
  const backend = config.licenseServerUrl
    ? remoteBackend({ url: config.licenseServerUrl, timeoutMs: config.licenseServerTimeoutMs }, signEntitlement)
    : inProcessBackend(licenseServer);
  const rateLimiter = new RateLimiter(hot, config.rateLimits, now);
  const proxy = new EntitlementProxy(stores, gateway, signEntitlement, sealer, backend, now, (sid) => rateLimiter.check('licensePerSession', sid));
  observeCaches(metrics, { playback_tokens: gateway.cache, entitlements: entitlements.entries, title_drm_keys: proxy.titleKeys });
  const events = openEventServices(config, { store: stores.events, metrics, geo: options.geo ?? placeOf(countryOf, asnOf), now });
  const operator = new OperatorService(stores, hot, identity, entitlements, now);
  const blocks = new BlockList(stores.watchtower, now);
  const watchtower = new Watchtower({
    config: config.watchtower,
    store: stores.watchtower,
    operator,
    blocks,
    metrics,
    record: (event) => events.recorder.record(event),
    now,
    warn: options.warn ?? ((message) => process.stderr.write(`${message}\n`)),
  });
  events.bus.subscribe({ name: 'watchtower', observe: (event) => watchtower.observe(event) });
  const pruner = new Pruner(stores, {
    retentionMs: config.pruneRetentionSec * 1000,
    eventRetentionMs: config.events.retentionDays * 86_400_000,
    intervalMs: config.pruneIntervalSec * 1000,
    now,
  });

  return {
    config,
    stores,
    hot,
    sealer,
    accessKeys,
    identity,
    mfa,
    catalog,
    entitlements,
    operator,
    playbackKeys,
    playback,
    streams,
    gateway,
    mediaFiles: new MediaFiles(join(config.dataDir, 'media'), config.mediaCacheMb << 20, now),
    edgeLinks: config.serving.edge.provider === 'off' ? undefined : new EdgeLinks(config.serving.edge, config.bindIp, now),
    originGuard: originGuard(config.serving),
    variants,
    communicationKeys,
    licenseServer,
    proxy,
    rateLimiter,
    metrics,
    httpMetrics: new HttpMetrics(metrics),
    blocks,
    watchtower,
    events,
    pruner,
    now,
    notices,
    async close() {
      pruner.stop();
      // Before the stores: what is still buffered is written first.
      await events.close();
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

/** The hot state the configuration names: a Redis Cluster, one Redis server, or memory. */
function openSharedHotState(config: Config, now: () => number): Promise<HotState> {
  const common = { prefix: config.redisPrefix, timeoutMs: config.redisTimeoutMs, now };
  const nodes = config.redisClusterNodes;
  if (nodes.length > 0) return openStore('Redis Cluster', 'TOLLGATE_REDIS_CLUSTER_NODES', nodes[0]!, () => openHotState({ ...common, redisClusterNodes: nodes }));
  const redisUrl = config.redisUrl;
  if (redisUrl !== undefined) return openStore('Redis', 'TOLLGATE_REDIS_URL', redisUrl, () => openHotState({ ...common, redisUrl }));
  return openHotState({ timeoutMs: config.redisTimeoutMs, now });
}

/** Country and network of an address for events, from the databases that know them. */
function placeOf(countryOf: CountryLookup, asnOf: AsnLookup): GeoLookup {
  return (ip) => {
    const country = countryOf(ip);
    const asn = asnOf(ip);
    return { ...(country !== undefined ? { country } : {}), ...(asn !== undefined ? { asn } : {}) };
  };
}
