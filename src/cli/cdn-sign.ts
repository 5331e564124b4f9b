/**
 * `tollgate cdn sign --provider cloudfront|akamai|cloudflare|nginx|cat --url URL --expires UNIX
 * [provider options]`: prints a URL signed for that CDN (or, with --cookie, the Akamai or
 * CloudFront cookie values, one `name=value` a line). Signing only: no services, no database.
 * Secrets come from flags and files and are never echoed, even in error messages.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { akamaiSignedUrl, signAkamaiToken } from '../core/cdn/akamai.js';
import { type CatUriRule, signCat } from '../core/cdn/cat.js';
import { signCloudflareUrl } from '../core/cdn/cloudflare.js';
import { cloudFrontSignedCookies, cloudFrontSignedUrl, signCloudFront } from '../core/cdn/cloudfront.js';
import type { CdnHash } from '../core/cdn/crypto.js';
import { fromHex } from '../core/cdn/encoding.js';
import { signNginxSecureLink } from '../core/cdn/nginx.js';
import { appendQuery, pathAndQuery } from '../core/cdn/url-parts.js';
import type { Verdict } from '../core/errors.js';
import { nodeCdnCrypto, rsaSignerFromPem } from '../server/edge/cdn-crypto.js';
import { type Command, UsageError } from './args.js';

const PROVIDER_OPTIONS = {
  cloudfront: ['key-pair-id', 'private-key', 'policy', 'starts', 'ip', 'hash-algorithm', 'cookie'],
  akamai: ['key', 'acl', 'start', 'algorithm', 'escape-early', 'token-name', 'field-delimiter', 'ip', 'cookie'],
  cloudflare: ['secret', 'timestamp', 'url-safe'],
  nginx: ['secret', 'ip'],
  cat: ['key', 'kid', 'iss', 'iat', 'cti', 'path-prefix', 'geo', 'cwt-tag'],
} as const;
type Provider = keyof typeof PROVIDER_OPTIONS;

const BOOLEANS = new Set(['cookie', 'escape-early', 'url-safe', 'cwt-tag']);
const ALL = [...new Set(Object.values(PROVIDER_OPTIONS).flat())];
const OPTIONS = Object.fromEntries([
  ['provider', { type: 'string' }],
  ['url', { type: 'string' }],
  ['expires', { type: 'string' }],
  ...ALL.map((name) => [name, { type: BOOLEANS.has(name) ? 'boolean' : 'string' }]),
]) as Record<string, { type: 'string' | 'boolean' }>;

type Values = Record<string, string | boolean | undefined>;

export const cdnSign: Command = {
  name: 'cdn sign',
  usage:
    'cdn sign --provider cloudfront|akamai|cloudflare|nginx|cat --url URL --expires UNIX [provider options] (see docs/STREAMING.md)',
  summary: 'print a URL (or with --cookie, cookies) signed for a CDN',
  run: async (args) => {
    let v: Values;
    try {
      v = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values as Values;
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const provider = text(v, 'provider');
    if (!Object.hasOwn(PROVIDER_OPTIONS, provider)) throw new UsageError('--provider must be cloudfront, akamai, cloudflare, nginx or cat');
    const allowed: readonly string[] = PROVIDER_OPTIONS[provider as Provider];
    const foreign = Object.keys(v).filter((k) => !['provider', 'url', 'expires', ...allowed].includes(k));
    if (foreign.length > 0) throw new UsageError(`--provider ${provider} takes no --${foreign.join(', --')}`);
    const lines = SIGNERS[provider as Provider](v, text(v, 'url'));
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

const SIGNERS: Record<Provider, (v: Values, url: string) => string[]> = {
  cloudfront: (v, url) => {
    const policy = optional(v, 'policy');
    if (policy !== undefined && policy !== 'canned' && policy !== 'custom') throw new UsageError('--policy must be canned or custom');
    const hash = optional(v, 'hash-algorithm') ?? 'sha1';
    if (hash !== 'sha1' && hash !== 'sha256') throw new UsageError('--hash-algorithm must be sha1 or sha256');
    const signature = ok(
      signCloudFront(
        {
          url,
          keyPairId: text(v, 'key-pair-id'),
          expires: unix(v, 'expires'),
          ...(policy !== undefined ? { policy } : {}),
          ...(v.starts !== undefined ? { starts: unix(v, 'starts') } : {}),
          ...(v.ip !== undefined ? { ip: text(v, 'ip') } : {}),
          hashAlgorithm: hash === 'sha256' ? 'SHA256' : 'SHA1',
        },
        privateKey(text(v, 'private-key')),
      ),
    );
    if (v.cookie !== true) return [cloudFrontSignedUrl(signature)];
    return Object.entries(cloudFrontSignedCookies(signature)).map(([name, value]) => `${name}=${value}`);
  },
  akamai: (v, url) => {
    const algorithm = optional(v, 'algorithm') ?? 'sha256';
    if (!['sha256', 'sha1', 'md5'].includes(algorithm)) throw new UsageError('--algorithm must be sha256, sha1 or md5');
    const tokenName = optional(v, 'token-name') ?? '__token__';
    if (!/^[A-Za-z0-9_-]+$/.test(tokenName)) throw new UsageError('--token-name must be letters, digits, _ or -');
    const acl = optional(v, 'acl');
    const token = ok(
      signAkamaiToken(
        {
          key: text(v, 'key'),
          ...(acl !== undefined ? { acl } : { url: parts(url).path }),
          expires: unix(v, 'expires'),
          ...(v.start !== undefined ? { start: unix(v, 'start') } : {}),
          algorithm: algorithm as CdnHash,
          escapeEarly: v['escape-early'] === true,
          ...(v['field-delimiter'] !== undefined ? { fieldDelimiter: text(v, 'field-delimiter') } : {}),
          ...(v.ip !== undefined ? { ip: text(v, 'ip') } : {}),
        },
        nodeCdnCrypto,
      ),
    );
    return [v.cookie === true ? `${tokenName}=${token}` : akamaiSignedUrl(url, token, tokenName)];
  },
  cloudflare: (v, url) => {
    const timestamp = unix(v, 'timestamp');
    if (v.expires !== undefined) {
      // The token carries its issue time only; the rule's ttl decides when it stops working.
      const ttl = unix(v, 'expires') - timestamp;
      if (ttl <= 0) throw new UsageError('--expires must be after --timestamp');
      process.stderr.write(`note: Cloudflare applies the ttl of its rule; for this expiry set it to ${ttl}\n`);
    }
    return [ok(signCloudflareUrl({ url, secret: text(v, 'secret'), timestamp, urlSafe: v['url-safe'] === true }, nodeCdnCrypto))];
  },
  nginx: (v, url) => [
    ok(signNginxSecureLink({ url, secret: text(v, 'secret'), expires: unix(v, 'expires'), ...(v.ip !== undefined ? { ip: text(v, 'ip') } : {}) }, nodeCdnCrypto)),
  ],
  cat: (v, url) => {
    const key = fromHex(text(v, 'key'));
    if (key === undefined || key.length === 0) throw new UsageError('--key must be even-length hex');
    const cti = v.cti === undefined ? undefined : fromHex(text(v, 'cti'));
    if (v.cti !== undefined && cti === undefined) throw new UsageError('--cti must be even-length hex');
    const prefix = optional(v, 'path-prefix');
    // Without --path-prefix the token is good for exactly this path.
    const rule: CatUriRule = prefix !== undefined ? { part: 'path', match: 'prefix', value: prefix } : { part: 'path', match: 'exact', value: parts(url).path };
    const token = ok(
      signCat(
        {
          ...(v.iss !== undefined ? { iss: text(v, 'iss') } : {}),
          exp: unix(v, 'expires'),
          ...(v.iat !== undefined ? { iat: unix(v, 'iat') } : {}),
          ...(cti !== undefined ? { cti } : {}),
          catu: [rule],
          ...(v.geo !== undefined ? { catgeoiso3166: text(v, 'geo').split(',') } : {}),
        },
        { kid: text(v, 'kid'), key, cwtTag: v['cwt-tag'] === true },
        nodeCdnCrypto,
      ),
    );
    return [appendQuery(url, `cat=${token}`)];
  },
};

function text(v: Values, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function optional(v: Values, name: string): string | undefined {
  return v[name] === undefined ? undefined : text(v, name);
}

function unix(v: Values, name: string): number {
  const value = text(v, name);
  if (!/^[1-9][0-9]{0,15}$/.test(value)) throw new UsageError(`--${name} must be Unix seconds`);
  return Number(value);
}

function parts(url: string): { path: string; query: string } {
  const found = pathAndQuery(url);
  if (found === undefined) throw new UsageError('--url must be an absolute http(s) URL or a path');
  return found;
}

function privateKey(file: string) {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --private-key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return rsaSignerFromPem(pem);
  } catch {
    throw new UsageError(`--private-key ${file} is not an RSA private key in PEM`);
  }
}

/** A signer's refusal is a usage mistake: the values given cannot make a valid token. */
function ok<T>(verdict: Verdict<T>): T {
  if (!verdict.ok) throw new UsageError(verdict.detail);
  return verdict.value;
}
