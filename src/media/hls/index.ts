// The HLS packaging API used by the CLI and the catalog service.
export { packageHls, packageHlsFromClearSample, demoSampleDir } from './package.js';
export type { PackageHlsOptions, ClearSampleOptions } from './package.js';
export { encryptHlsRendition, encryptSegment, sequenceIv } from './encrypt.js';
export type { RenditionJob, EncryptedRendition } from './encrypt.js';
export type { PackagedHls, Rendition } from './tree.js';
