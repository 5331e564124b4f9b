/** The detectors, built from their settings: the enabled ones, in a fixed order. */
import { ConcurrentNetworksDetector, type CONCURRENT_NETWORKS } from './concurrent-networks.js';
import { CopiedUrlDetector, type COPIED_URL } from './copied-url.js';
import { CredentialStuffingDetector, type CREDENTIAL_STUFFING } from './credential-stuffing.js';
import { ImpossibleTravelDetector, type IMPOSSIBLE_TRAVEL } from './impossible-travel.js';
import { LicenseAbuseDetector, type LICENSE_ABUSE } from './license-abuse.js';
import { RestreamingDetector, type RESTREAMING } from './restreaming.js';
import { SensitiveTitlesDetector, type SENSITIVE_TITLES } from './sensitive-titles.js';
import type { AllDetectorSettings } from './settings.js';
import { SpikesDetector, type SPIKES } from './spikes.js';
import type { Detector, DetectorName, Thresholds, ThresholdSpec } from './types.js';

export * from './settings.js';
export * from './types.js';

export function createDetectors(settings: AllDetectorSettings, isSensitive: (titleId: string) => boolean): Detector[] {
  const t = <S extends ThresholdSpec>(name: DetectorName) => settings[name].thresholds as Thresholds<S>;
  const all: Detector[] = [
    new ConcurrentNetworksDetector(t<typeof CONCURRENT_NETWORKS>('concurrent_networks')),
    new ImpossibleTravelDetector(t<typeof IMPOSSIBLE_TRAVEL>('impossible_travel'), new Set(settings.impossible_travel.ignoredAsns)),
    new CopiedUrlDetector(t<typeof COPIED_URL>('copied_url')),
    new RestreamingDetector(t<typeof RESTREAMING>('restreaming')),
    new CredentialStuffingDetector(t<typeof CREDENTIAL_STUFFING>('credential_stuffing')),
    new LicenseAbuseDetector(t<typeof LICENSE_ABUSE>('license_abuse')),
    new SpikesDetector(t<typeof SPIKES>('spikes')),
    new SensitiveTitlesDetector(t<typeof SENSITIVE_TITLES>('sensitive_titles'), isSensitive),
  ];
  return all.filter((d) => settings[d.name].enabled);
}
