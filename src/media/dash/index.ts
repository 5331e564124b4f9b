// The DASH/CENC packaging API used by the CLI and the catalog service.
export { type DashRepresentation, type PackageDashOptions, type PackagedDash, packageDash } from './package.js';
export { type ContentKey, type KeyResolver } from './keys.js';
export { type Tier, tierOf } from './ladder.js';
export { LICENSE_URL_PLACEHOLDER } from './mpd.js';
