/**
 * FORMATS.md §8 families 7–11: time, claims, JSON ambiguity, encoding and size. Every token
 * here carries a valid signature by the real key unless the case says otherwise, so only the
 * named fault can refuse it — and the accept cases prove the forging is sound.
 */
import { concatBytes, hmacToken } from './jwt-attack-kit.js';
import { accept, reject, type Forge, type JwtAttackCase } from './jwt-attacks.js';

export async function payloadAttacks(f: Forge): Promise<JwtAttackCase[]> {
  return [...(await time(f)), ...(await claims(f)), ...(await json(f)), ...(await encoding(f)), ...(await size(f))];
}

// 7. Time. Boundaries are shifted by the verifier's leeway L: "exp == now" means exp = now - L.
async function time(f: Forge): Promise<JwtAttackCase[]> {
  const { now, leeway: l } = f.ctx;
  const at = (patch: Record<string, unknown>): Promise<string> => f.signed(f.header, f.claimsWith(patch));
  return [
    reject(7, 'exp == now (on or after exp)', await at({ exp: now - l }), 'token_expired'),
    reject(7, 'exp == now - 1', await at({ exp: now - l - 1 }), 'token_expired'),
    accept(7, 'exp == now + 1', await at({ exp: now - l + 1 })),
    accept(7, 'nbf == now', await at({ nbf: now + l })),
    reject(7, 'nbf == now + 1', await at({ nbf: now + l + 1 })),
    reject(7, 'nbf as a string', await at({ nbf: String(now) })),
    reject(7, 'exp as a string', await at({ exp: String(now + 600) })),
    accept(7, 'exp fractional', await at({ exp: now + 600.5 })),
    accept(7, 'exp fractional half a second past the boundary', await at({ exp: now - l + 0.5 })),
    // Far future is a valid NumericDate; only a key holder can mint it, and a verifier that
    // bounds lifetimes refuses it.
    f.ctx.maxLifetime === undefined ? accept(7, 'exp 1e20', await at({ exp: 1e20 })) : reject(7, 'exp 1e20', await at({ exp: 1e20 })),
    reject(7, 'exp 1e400 (Infinity once parsed)', await f.signed(f.header, f.claimsText(['exp'], '"exp":1e400'))),
    reject(7, 'exp -1', await at({ exp: -1 }), 'token_expired'),
    reject(7, 'exp null', await at({ exp: null })),
    reject(7, 'exp missing', await at({ exp: undefined })),
    accept(7, 'iat == now', await at({ iat: now })),
    reject(7, 'iat in the future', await at({ iat: now + l + 60 })),
  ];
}

// 8. Claims that bind the token to this verifier.
async function claims(f: Forge): Promise<JwtAttackCase[]> {
  const aud = f.ctx.claims.aud;
  const with_ = (patch: Record<string, unknown>): Promise<string> => f.signed(f.header, f.claimsWith(patch));
  const otherTyp = f.ctx.typ === 'at+jwt' ? 'JWT' : 'at+jwt';
  return [
    reject(8, 'aud wrong', await with_({ aud: 'someone-else' })),
    accept(8, 'aud array containing ours', await with_({ aud: ['other-service', aud] })),
    reject(8, 'aud array without ours', await with_({ aud: ['other-service'] })),
    reject(8, 'aud array with a non-string', await with_({ aud: [aud, 42] })),
    reject(8, 'aud missing', await with_({ aud: undefined })),
    reject(8, 'iss wrong', await with_({ iss: 'https://attacker.example' })),
    reject(8, 'iss missing', await with_({ iss: undefined })),
    reject(8, `typ ${otherTyp}`, await f.signed(f.headerWith({ typ: otherTyp }), f.ctx.claims)),
    reject(8, 'typ in other case', await f.signed(f.headerWith({ typ: swapCase(f.ctx.typ) }), f.ctx.claims)),
    reject(8, 'typ missing', await f.signed(f.headerWith({ typ: undefined }), f.ctx.claims)),
  ];
}

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
}

// 9. JSON that parsers read differently: duplicates, wrong top-level types, BOM, bad UTF-8.
async function json(f: Forge): Promise<JwtAttackCase[]> {
  const h = JSON.stringify(f.header);
  const c = JSON.stringify(f.ctx.claims);
  const { alg, typ, kid } = f.header;
  const dupAlgHeader = `{"alg":"none","typ":${JSON.stringify(typ)},"kid":${JSON.stringify(kid)},"alg":${JSON.stringify(alg)}}`;
  const hsAfterNone = `{"alg":"none","typ":${JSON.stringify(typ)},"kid":${JSON.stringify(kid)},"alg":"HS256"}`;
  const withText = (omit: string[], extra: string): Promise<string> => f.signed(f.header, f.claimsText(omit, extra));
  const hsAfterNoneToken = hmacToken(f.segment(hsAfterNone), f.payloadSeg, f.ctx.publicKeyPem);
  const bad = (json: string, bytes: number[]): Uint8Array => concatBytes(json.slice(0, -1), ',"x":"', bytes, '"}');
  return [
    reject(9, 'duplicate sub (user-42 then admin)', await withText(['sub'], '"sub":"user-42","sub":"admin"')),
    reject(9, 'duplicate sub spelled with an escape', await withText(['sub'], '"sub":"user-42","s\\u0075b":"admin"')),
    reject(9, 'duplicate member in a nested claim object', await withText([], '"ent":{"plan":"basic","plan":"premium"}')),
    reject(9, `duplicate alg in header (none then ${String(alg)}), real signature`, await f.signed(dupAlgHeader, f.ctx.claims)),
    reject(9, 'duplicate alg in header (none then HS256), MAC keyed with the public key PEM', hsAfterNoneToken),
    reject(9, 'claims are an array', await f.signed(f.header, [f.ctx.claims])),
    reject(9, 'claims are a string', await f.signed(f.header, JSON.stringify(c))),
    reject(9, 'header is a string', await f.signed(JSON.stringify(h), f.ctx.claims)),
    reject(9, 'header is an array', await f.signed([f.header], f.ctx.claims)),
    reject(9, 'UTF-8 BOM before the header', await f.signed(`\uFEFF${h}`, f.ctx.claims)),
    reject(9, 'UTF-8 BOM before the claims', await f.signed(f.header, `\uFEFF${c}`)),
    reject(9, 'invalid UTF-8 in the claims', await f.signed(f.header, bad(c, [0xc3, 0x28]))),
    reject(9, 'invalid UTF-8 in the header', await f.signed(bad(h, [0xff]), f.ctx.claims)),
    reject(9, 'overlong UTF-8 in the claims', await f.signed(f.header, bad(c, [0xc0, 0xaf]))),
    reject(9, 'UTF-8 encoded lone surrogate in the claims', await f.signed(f.header, bad(c, [0xed, 0xa0, 0x80]))),
  ];
}

// 10. Encoding and structure: several texts for one token, wrong segment counts.
async function encoding(f: Forge): Promise<JwtAttackCase[]> {
  const { headerSeg: h, payloadSeg: p, signatureSeg: s } = f;
  const pad = (seg: string): string => seg + '='.repeat((4 - (seg.length % 4)) % 4);
  // ASCII JSON only encodes to '-'/'_' through '>' or '?' as the third byte of a group; three
  // '?' in a row guarantee one, so the standard alphabet really differs from base64url.
  const urlPayload = f.segment(f.claimsWith({ q: '???' }));
  const std = (seg: string): string => seg.replace(/-/g, '+').replace(/_/g, '/');
  // The last char of a 64-byte signature carries 2 data bits and 4 zero bits; set one.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = ALPHABET[ALPHABET.indexOf(s.slice(-1)) | 1]!;
  const mid = p.length >> 1;
  const newlinePayload = `${p.slice(0, mid)}\n${p.slice(mid)}`;
  let paddedPayload = p; // needs padding somewhere, or the case would test nothing
  for (let i = 1; h.length % 4 === 0 && paddedPayload.length % 4 === 0; i++) {
    paddedPayload = f.segment(f.claimsWith({ n: 'x'.repeat(i) }));
  }
  return [
    reject(10, 'padded header and payload, signature over the padded text', await f.signSegments(pad(h), pad(paddedPayload))),
    reject(10, 'padded signature', `${h}.${p}.${pad(s)}`),
    reject(10, 'standard +/ alphabet, signature over that text', std(await f.signSegments(std(h), std(urlPayload)))),
    reject(10, 'non-canonical last char of the signature (same bytes)', `${h}.${p}.${s.slice(0, -1)}${last}`),
    reject(10, 'newline inside the payload, signature over that text', await f.signSegments(h, newlinePayload)),
    reject(10, 'space inside the signature', `${h}.${p}.${s.slice(0, 10)} ${s.slice(10)}`),
    reject(10, '2 segments', `${h}.${p}`),
    reject(10, '4 segments', `${h}.${p}.${s}.${s}`),
    reject(10, '4 segments (trailing dot)', `${h}.${p}.${s}.`),
    reject(10, '5 segments', `${h}.${p}.${s}.${p}.${s}`),
    reject(10, 'empty token', ''),
  ];
}

// 11. Size: refused before any parsing work.
async function size(f: Forge): Promise<JwtAttackCase[]> {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const deepHeader = `${JSON.stringify(f.header).slice(0, -1)},"x":${deep(5000)}}`;
  return [
    reject(11, '1 MiB claim', await f.signed(f.header, f.claimsWith({ big: 'a'.repeat(1 << 20) }))),
    reject(11, '5000-deep nesting in the claims', await f.signed(f.header, f.claimsText([], `"deep":${deep(5000)}`))),
    reject(11, '5000-deep nesting in the header', await f.signed(deepHeader, f.ctx.claims)),
  ];
}
