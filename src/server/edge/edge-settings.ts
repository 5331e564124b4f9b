/**
 * The settings of the three ways bytes leave for players (docs/STREAMING.md, Serving modes):
 * edge tokens (TOLLGATE_EDGE and its TOLLGATE_EDGE_* secrets), nginx sending files Tollgate
 * decided (TOLLGATE_SEND_FILE=x-accel) and origin protection (TOLLGATE_ORIGIN_SECRET,
 * TOLLGATE_ORIGIN_ALLOW). Each is validated at boot: an edge without the secret its format
 * needs stops the process (exit 78) instead of handing out URLs the edge would refuse.
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../core/cdn/encoding.js';
import { parseIpNetwork } from '../../core/playback-token-ip.js';
import type { Reader } from '../config-reader.js';
import { rsaSignerFromPem } from './cdn-crypto.js';

export type EdgeSettings =
  | { readonly provider: 'off' }
  | { readonly provider: 'nginx' | 'cloudflare'; readonly url: string; readonly secret: string }
  | { readonly provider: 'akamai'; readonly url: string; readonly key: string }
  | { readonly provider: 'cloudfront'; readonly url: string; readonly keyPairId: string; readonly privateKeyPem: string };

export interface ServingSettings {
  readonly edge: EdgeSettings;
  /** 'x-accel': a granted segment is answered with X-Accel-Redirect and no body, for nginx to send. */
  readonly sendFile: 'off' | 'x-accel';
  /** The nginx `internal` location the media directory is aliased under, leading and trailing '/'. */
  readonly sendFilePrefix: string;
  /** The secret the CDN or nginx in front adds as X-Tollgate-Origin-Secret; undefined = not required. */
  readonly originSecret: string | undefined;
  /** Peer addresses or CIDR ranges the gateway routes answer; empty = any. */
  readonly originAllow: readonly string[];
}

export function readServingSettings(read: Reader, problems: string[]): ServingSettings {
  const originSecret = read.optional('TOLLGATE_ORIGIN_SECRET');
  if (originSecret !== undefined && originSecret.length < 16) problems.push('TOLLGATE_ORIGIN_SECRET: must be at least 16 characters (use a long random value)');
  const originAllow = read.list('TOLLGATE_ORIGIN_ALLOW');
  for (const entry of originAllow) {
    if (parseIpNetwork(entry) === undefined) problems.push(`TOLLGATE_ORIGIN_ALLOW: "${entry}" is not an IP address or CIDR range`);
  }
  const sendFilePrefix = read.string('TOLLGATE_SEND_FILE_PREFIX', '/internal/media/');
  if (!/^\/(?:[A-Za-z0-9._-]+\/)+$/.test(sendFilePrefix)) problems.push('TOLLGATE_SEND_FILE_PREFIX: must be a path like /internal/media/ (leading and trailing "/")');
  return {
    edge: readEdge(read, problems),
    sendFile: read.oneOf('TOLLGATE_SEND_FILE', 'off', ['off', 'x-accel'] as const),
    sendFilePrefix,
    originSecret,
    originAllow,
  };
}

function readEdge(read: Reader, problems: string[]): EdgeSettings {
  const provider = read.oneOf('TOLLGATE_EDGE', 'off', ['off', 'nginx', 'cloudfront', 'akamai', 'cloudflare'] as const);
  const url = read.optionalUrl('TOLLGATE_EDGE_URL', ['http:', 'https:']);
  const secret = read.optional('TOLLGATE_EDGE_SECRET');
  const key = read.optional('TOLLGATE_EDGE_KEY');
  const keyPairId = read.optional('TOLLGATE_EDGE_KEY_PAIR_ID');
  const keyFile = read.optional('TOLLGATE_EDGE_PRIVATE_KEY_FILE');
  if (provider === 'off') return { provider };
  const needs = (name: string, what: string) => problems.push(`${name}: needed with TOLLGATE_EDGE=${provider} (${what})`);
  if (url === undefined) needs('TOLLGATE_EDGE_URL', 'the base URL segments are fetched from, e.g. https://cdn.example.com/media');
  else if (/[?#]/.test(url)) problems.push('TOLLGATE_EDGE_URL: must be a base URL without query or fragment');
  const base = (url ?? 'http://edge.invalid').replace(/\/$/, '');
  if (provider === 'nginx' || provider === 'cloudflare') {
    if (secret === undefined) needs('TOLLGATE_EDGE_SECRET', provider === 'nginx' ? 'the secure_link_md5 secret' : 'the key of the is_timed_hmac_valid_v0 rule');
    else if (provider === 'nginx' && /[\s"'$;{}\\]/.test(secret)) problems.push('TOLLGATE_EDGE_SECRET: must be plain text without spaces, quotes, $ ; { } or \\ (it is written into nginx.conf)');
    return { provider, url: base, secret: secret ?? '' };
  }
  if (provider === 'akamai') {
    if (key === undefined) needs('TOLLGATE_EDGE_KEY', "the property's EdgeAuth token key, hex");
    else if (fromHex(key) === undefined || key.length === 0) problems.push('TOLLGATE_EDGE_KEY: must be even-length hex');
    return { provider, url: base, key: key ?? '' };
  }
  if (keyPairId === undefined) needs('TOLLGATE_EDGE_KEY_PAIR_ID', 'the CloudFront public key id');
  else if (!/^[A-Za-z0-9]+$/.test(keyPairId)) problems.push('TOLLGATE_EDGE_KEY_PAIR_ID: letters and digits only');
  let privateKeyPem = '';
  if (keyFile === undefined) needs('TOLLGATE_EDGE_PRIVATE_KEY_FILE', "a PEM file of the key pair's RSA private key");
  else {
    try {
      privateKeyPem = readFileSync(keyFile, 'utf8');
      rsaSignerFromPem(privateKeyPem);
    } catch {
      problems.push('TOLLGATE_EDGE_PRIVATE_KEY_FILE: cannot be read as a PEM RSA private key');
    }
  }
  return { provider, url: base, keyPairId: keyPairId ?? '', privateKeyPem };
}
