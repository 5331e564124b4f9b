/**
 * `tollgate keys export --title ID --format cpix`: the title's content keys as a DASH-IF CPIX
 * document (keys in the clear, as CPIX allows without DeliveryData), so another packager or a
 * commercial DRM service can use the same keys. The output is key material: it goes to stdout
 * only, never to a log.
 */
import { buildCpix } from '../core/cpix.js';
import { hexToBytes } from '../core/drm/kid.js';
import { HLS_KEY_LABEL, WATERMARK_KEY_LABEL } from '../core/drm/policy.js';
import { deny, grant, type Verdict } from '../core/errors.js';
import { clearKeyPssh, commonPssh } from '../media/cenc/pssh.js';
import type { Services } from '../server/compose.js';
import { openContentKey } from '../server/keys/content-keys.js';

const CLEARKEY_SYSTEM = 'e2719d58-a985-b3c9-781a-b030af78d30e';
const COMMON_SYSTEM = '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b';

export async function exportCpix(services: Services, titleId: string): Promise<Verdict<string>> {
  const title = await services.stores.titles.get(titleId);
  if (title === undefined) return deny('not_found', `title "${titleId}" does not exist`);
  const records = (await services.stores.titles.contentKeys(titleId)).filter((r) => r.label !== WATERMARK_KEY_LABEL);
  const keys = records.map((r) => ({ kid: r.kid, label: r.label, key: openContentKey(services.sealer, r.kid, r.sealed) }));
  // CENC keys are signalled for the W3C ClearKey and common systems, each with its pssh.
  const drmSystems = keys
    .filter((k) => k.label !== HLS_KEY_LABEL)
    .flatMap((k) => {
      const kid = [hexToBytes(k.kid)];
      return [
        { systemId: CLEARKEY_SYSTEM, kid: k.kid, pssh: clearKeyPssh(kid) },
        { systemId: COMMON_SYSTEM, kid: k.kid, pssh: commonPssh(kid) },
      ];
    });
  return grant(buildCpix({ contentId: title.id, name: title.name, keys, drmSystems }));
}
