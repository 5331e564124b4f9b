/**
 * DRM in `tollgate/core`: entitlement messages, W3C Clear Key, usage-policy evaluation and the
 * mapping onto a commercial license service's format. Standard JS only, like the rest of core.
 */
export * from './usage-policy.js';
export * from './kid.js';
export * from './entitlement.js';
export { MAX_CONTENT_KEYS, MAX_MESSAGE_TTL_SEC, type EntitlementClaims } from './entitlement-schema.js';
export * from './clearkey.js';
export * from './policy.js';
export * from './axinom.js';
