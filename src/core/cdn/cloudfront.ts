/**
 * Amazon CloudFront signed URLs and signed cookies (canned and custom policies), as the
 * CloudFront Developer Guide specifies and @aws-sdk/cloudfront-signer produces them.
 * Threat: a signature that covers more than was meant — a policy whose Resource is not the
 * URL the viewer requests (unencoded text CloudFront never sees, so the URL is refused, or a
 * wildcard in a canned policy, which CloudFront does not allow), or an address condition
 * written so loosely that it does not bind. So the Resource is the URL exactly as it will be
 * requested (percent-encoded as the SDK does), the policy JSON is built in the one member
 * order and spacing AWS documents, and IP ranges are strict IPv4 CIDR.
 */
import { deny, type Verdict } from '../errors.js';
import { parseIp } from '../playback-token-ip.js';
import { type CdnPlan, completeAsync, completeSync, type RsaSigner, type RsaSignerAsync } from './crypto.js';
import { encodeCloudFrontUrl } from './cloudfront-url.js';
import { encodeCloudFrontBase64, isUnixSeconds } from './encoding.js';

export interface CloudFrontOptions {
  /** http(s) URL of the object, or with `*` wildcards for a custom policy. */
  readonly url: string;
  readonly keyPairId: string;
  /** DateLessThan, Unix seconds. */
  readonly expires: number;
  /** 'canned' unless starts or ip is given, which need a custom policy. */
  readonly policy?: 'canned' | 'custom';
  /** DateGreaterThan, Unix seconds (custom policy). */
  readonly starts?: number;
  /** IpAddress AWS:SourceIp, IPv4 `a.b.c.d[/n]` (custom policy); a bare address means /32. */
  readonly ip?: string;
  /** SHA1 by default; SHA256 adds Hash-Algorithm=SHA256. */
  readonly hashAlgorithm?: 'SHA1' | 'SHA256';
}

/** The signed values, as query parameters or as cookies. */
export interface CloudFrontSignature {
  /** The URL as signed and to be requested (percent-encoded), without the signature parameters. */
  readonly resource: string;
  readonly expires?: number;
  readonly policy?: string;
  readonly signature: string;
  readonly keyPairId: string;
  readonly hashAlgorithm?: 'SHA256';
}

export function signCloudFront(options: CloudFrontOptions, sign: RsaSigner): Verdict<CloudFrontSignature> {
  return completeSync(planCloudFront(options), sign);
}

/** signCloudFront with an async signer (WebCrypto at the edge, webCryptoRsaSigner). */
export function signCloudFrontAsync(options: CloudFrontOptions, sign: RsaSignerAsync): Promise<Verdict<CloudFrontSignature>> {
  return completeAsync(planCloudFront(options), sign);
}

function planCloudFront(options: CloudFrontOptions): CdnPlan<CloudFrontSignature> {
  const resource = encodeCloudFrontUrl(options.url);
  if (resource === undefined) return deny('bad_request', 'url must be an absolute http(s) URL of valid UTF-8');
  if (!isUnixSeconds(options.expires)) return deny('bad_request', 'expires must be Unix seconds');
  if (!/^[A-Za-z0-9]+$/.test(options.keyPairId)) return deny('bad_request', 'key pair id must be letters and digits');
  const custom = options.policy === 'custom' || options.starts !== undefined || options.ip !== undefined;
  if (options.policy === 'canned' && custom) return deny('bad_request', 'a start time or an address needs a custom policy');
  if (!custom && resource.includes('*')) {
    return deny('bad_request', 'a canned policy cannot use wildcards: use a custom policy');
  }
  const condition: string[] = [`"DateLessThan":{"AWS:EpochTime":${options.expires}}`];
  if (options.starts !== undefined) {
    if (!isUnixSeconds(options.starts) || options.starts >= options.expires) return deny('bad_request', 'starts must be Unix seconds before expires');
    condition.push(`"DateGreaterThan":{"AWS:EpochTime":${options.starts}}`);
  }
  if (options.ip !== undefined) {
    const cidr = ipv4Cidr(options.ip);
    if (cidr === undefined) return deny('bad_request', 'ip must be an IPv4 address or a.b.c.d/n (CloudFront takes IPv4 ranges only)');
    condition.push(`"IpAddress":{"AWS:SourceIp":"${cidr}"}`);
  }
  // JSON.stringify escapes the resource as the SDK's JSON.stringify of its policy object does.
  const policy = `{"Statement":[{"Resource":${JSON.stringify(resource)},"Condition":{${condition.join(',')}}}]}`;
  const bytes = new TextEncoder().encode(policy);
  const sha256 = options.hashAlgorithm === 'SHA256';
  return {
    request: { op: 'rsa', hash: sha256 ? 'sha256' : 'sha1', data: bytes },
    finish: (signature) => ({
      resource,
      ...(custom ? { policy: encodeCloudFrontBase64(bytes) } : { expires: options.expires }),
      signature: encodeCloudFrontBase64(signature),
      keyPairId: options.keyPairId,
      ...(sha256 ? { hashAlgorithm: 'SHA256' as const } : {}),
    }),
  };
}

/** The signed URL: the resource plus Expires|Policy, Key-Pair-Id, Signature [, Hash-Algorithm], in the SDK's order. */
export function cloudFrontSignedUrl(s: CloudFrontSignature): string {
  const params = [
    s.expires !== undefined ? `Expires=${s.expires}` : `Policy=${s.policy!}`,
    `Key-Pair-Id=${s.keyPairId}`,
    `Signature=${s.signature}`,
    ...(s.hashAlgorithm !== undefined ? [`Hash-Algorithm=${s.hashAlgorithm}`] : []),
  ];
  return `${s.resource}${s.resource.includes('?') ? '&' : '?'}${params.join('&')}`;
}

/** The signed cookies, name → value, as CloudFront reads them. */
export function cloudFrontSignedCookies(s: CloudFrontSignature): Record<string, string> {
  return {
    'CloudFront-Key-Pair-Id': s.keyPairId,
    'CloudFront-Signature': s.signature,
    ...(s.expires !== undefined ? { 'CloudFront-Expires': String(s.expires) } : { 'CloudFront-Policy': s.policy! }),
    ...(s.hashAlgorithm !== undefined ? { 'CloudFront-Hash-Algorithm': s.hashAlgorithm } : {}),
  };
}

function ipv4Cidr(text: string): string | undefined {
  const [address, bits, extra] = text.split('/');
  if (extra !== undefined || parseIp(address!)?.length !== 4) return undefined;
  if (bits === undefined) return `${address}/32`;
  return /^(?:[0-9]|[12][0-9]|3[0-2])$/.test(bits) ? text : undefined;
}
