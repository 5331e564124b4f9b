/** CDN token signers, one policy, five formats; pure, crypto injected (crypto.ts): node:crypto or WebCrypto (webcrypto.ts). */
export * from './crypto.js';
export * from './cloudfront.js';
export { encodeCloudFrontUrl } from './cloudfront-url.js';
export * from './akamai.js';
export * from './cloudflare.js';
export * from './nginx.js';
export * from './cat.js';
export * from './webcrypto.js';
