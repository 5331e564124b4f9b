/**
 * `tollgate/core`: the pure domain, standard JavaScript only (no node: imports, no I/O, time
 * passed in), so it runs in CDN edge workers as well as in the server. Crypto is injected:
 * node:crypto in the server, WebCrypto (webcrypto.ts) at the edge, where playback tokens are
 * checked with verifyPlaybackTokenAsync (either format: verifyAnyPlaybackTokenAsync).
 */
export * from './errors.js';
export * from './email.js';
export * from './base64url.js';
export * from './jwt.js';
export * from './playback-token.js';
export * from './playback-token-jwt.js';
export * from './playback-token-formats.js';
export * from './playback-token-bindings.js';
export * from './playback-token-crypto.js';
export * from './playback-token-ip.js';
export * from './manifest/hls.js';
export * from './manifest/dash.js';
export * from './manifest/uri.js';
export type * from './ports.js';
export * from './drm/index.js';
export * from './cpix.js';
export * from './webcrypto.js';
export * from './cdn/index.js';
export * from './events.js';
export * from './access-rules.js';
export * from './watermark/wm-token.js';
export * from './watermark/variant-paths.js';
