/**
 * Tollgate's Common Encryption ('cenc', AES-128-CTR) for DASH/CMAF fragmented MP4: protect an
 * init segment once per track and key, then each media segment; decrypt to verify.
 */
export { Mp4Error } from './bytes.js';
export { type IvSource, counterIvs, randomIvs } from './ctr.js';
export { type DecryptSegmentOptions, decryptSegment } from './decrypt.js';
export { type EncryptSegmentOptions, encryptSegment } from './encrypt.js';
export { type EncryptInitOptions, type TrackInfo, type TrackKind, type TrackProtection, decryptInit, encryptInit, readInit } from './init.js';
export { CLEARKEY_SYSTEM_ID, COMMON_SYSTEM_ID, type PsshOptions, buildPssh, clearKeyPssh, commonPssh, uuidBytes } from './pssh.js';
