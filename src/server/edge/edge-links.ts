/**
 * Edge mode (TOLLGATE_EDGE): the segment and init-segment URIs of a manifest Tollgate rewrites
 * for a session point at the edge, signed for it, while the manifests, AES-128 keys and
 * licenses stay on Tollgate — where liveness, stream limits and geo are enforced. Threat: an
 * edge token that outlives or outreaches the session that got it. So each token covers one
 * title's directory only (nginx: the hashed `/<title>/` scope; Akamai: ACL `/<title>/*`;
 * CloudFront: custom policy on `<edge>/<title>/*`), expires when the session does (never later
 * than the playback token), and is bound to the client's address where the format can say it
 * and TOLLGATE_BIND_IP asks for it. Cloudflare's rule signs whole URIs only, so each
 * URI is signed on its own, and a DASH `$Number$` template (one URI for many files) cannot be:
 * those stay on Tollgate. A URI that does not resolve to a plain path inside the title is left
 * as it is. A watermarked title's segments are linked by watermark-edge-links.ts instead.
 */
import { signAkamaiToken } from '../../core/cdn/akamai.js';
import { signCloudflareUrl } from '../../core/cdn/cloudflare.js';
import { signCloudFront } from '../../core/cdn/cloudfront.js';
import { signNginxSecureLinkScope } from '../../core/cdn/nginx.js';
import { appendQuery } from '../../core/cdn/url-parts.js';
import { isSafeRelativePath } from '../../core/playback-token-bindings.js';
import { ipNetworkOf, parseIp } from '../../core/playback-token-ip.js';
import type { Verdict } from '../../core/errors.js';
import { nodeCdnCrypto, rsaSignerFromPem } from './cdn-crypto.js';
import type { EdgeSettings } from './edge-settings.js';

/** The session a manifest is rewritten for. */
export interface EdgeGrant {
  readonly titleId: string;
  /** Unix seconds: the session's (and its playback token's) end. */
  readonly expires: number;
  readonly ip: string;
}

/** The edge URL of a URI found in the manifest at manifestPath (under the title), or undefined to keep the URI. */
export type EdgeLinker = (manifestPath: string, uri: string) => string | undefined;

export class EdgeLinks {
  private readonly signRsa;

  constructor(
    private readonly settings: Exclude<EdgeSettings, { provider: 'off' }>,
    private readonly bindIp: 'off' | 'exact' | 'prefix',
    private readonly now: () => number,
  ) {
    this.signRsa = settings.provider === 'cloudfront' ? rsaSignerFromPem(settings.privateKeyPem) : undefined;
  }

  /** One signature per manifest for the prefix formats; Cloudflare signs per URI. */
  linker(grant: EdgeGrant): EdgeLinker {
    const s = this.settings;
    const base = new URL(s.url);
    const scope = `${base.pathname.replace(/\/$/, '')}/${grant.titleId}/`;
    const titleUrl = `${base.origin}${scope}`;
    const resolved = (manifestPath: string, uri: string) => {
      const path = resolveUnderTitle(manifestPath, uri);
      return path === undefined ? undefined : `${titleUrl}${path}`;
    };
    if (s.provider === 'cloudflare') {
      const timestamp = Math.floor(this.now() / 1000);
      return (manifestPath, uri) => {
        const url = resolved(manifestPath, uri);
        if (url === undefined || url.includes('$')) return undefined;
        return value(signCloudflareUrl({ url, secret: s.secret, timestamp }, nodeCdnCrypto));
      };
    }
    const query = value(this.prefixQuery(scope, titleUrl, grant));
    return (manifestPath, uri) => {
      const url = resolved(manifestPath, uri);
      return url === undefined ? undefined : appendQuery(url, query);
    };
  }

  private prefixQuery(scope: string, titleUrl: string, grant: EdgeGrant): Verdict<string> {
    const s = this.settings;
    const exact = this.bindIp !== 'off' && parseIp(grant.ip) !== undefined ? grant.ip : undefined;
    if (s.provider === 'nginx') {
      // $remote_addr is one address: nginx binds exactly or not at all.
      return signNginxSecureLinkScope({ scope, secret: s.secret, expires: grant.expires, ...(this.bindIp === 'exact' && exact ? { ip: exact } : {}) }, nodeCdnCrypto);
    }
    if (s.provider === 'akamai') {
      const token = signAkamaiToken({ key: s.key, acl: `${scope}*`, expires: grant.expires, ...(this.bindIp === 'exact' && exact ? { ip: exact } : {}) }, nodeCdnCrypto);
      return token.ok ? { ok: true, value: `__token__=${token.value}` } : token;
    }
    if (s.provider !== 'cloudfront') throw new TypeError('Cloudflare signs each URI');
    // CloudFront takes IPv4 ranges only: an IPv6 viewer's policy carries no address.
    const v4 = exact !== undefined && parseIp(exact)!.length === 4 ? (this.bindIp === 'prefix' ? ipNetworkOf(exact, 24, 64) : exact) : undefined;
    const signed = signCloudFront({ url: `${titleUrl}*`, keyPairId: s.keyPairId, expires: grant.expires, policy: 'custom', ...(v4 ? { ip: v4 } : {}) }, this.signRsa!);
    return signed.ok
      ? { ok: true, value: `Policy=${signed.value.policy!}&Signature=${signed.value.signature}&Key-Pair-Id=${signed.value.keyPairId}` }
      : signed;
  }
}

/** The signers refuse only what validated settings never give: a refusal here is a bug. */
function value(verdict: Verdict<string>): string {
  if (!verdict.ok) throw new Error(`edge signing failed: ${verdict.detail}`);
  return verdict.value;
}

const DASH_IDENTIFIER = /\$(?:Number|Time|SubNumber|Bandwidth|RepresentationID)?(?:%0\d+[dxXo])?\$/g;

/**
 * A manifest URI resolved against the manifest's directory (RFC 3986 §5.2 for relative
 * paths), as a plain relative path under the title, query kept; undefined for an absolute or
 * rooted URI, or one leaving the title.
 */
export function resolveUnderTitle(manifestPath: string, uri: string): string | undefined {
  if (uri === '' || /^[a-z][a-z0-9+.-]*:/i.test(uri) || /^[/?#]/.test(uri)) return undefined;
  const hash = uri.indexOf('#');
  const bare = hash < 0 ? uri : uri.slice(0, hash);
  const question = bare.indexOf('?');
  const relative = question < 0 ? bare : bare.slice(0, question);
  const query = question < 0 ? '' : bare.slice(question);
  const parts = manifestPath.split('/').slice(0, -1);
  for (const part of relative.split('/')) {
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else if (part !== '.') parts.push(part);
  }
  const path = parts.join('/');
  // A DASH template identifier ($Number%05d$) stands for a plain name.
  return isSafeRelativePath(path.replace(DASH_IDENTIFIER, 'x')) ? `${path}${query}` : undefined;
}
