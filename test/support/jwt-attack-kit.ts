/**
 * Building blocks for the JWT attack corpus (jwt-attacks.ts): segment encoding, HMAC with
 * attacker-chosen keys, attacker key pairs, ECDSA raw↔DER, and a minimal self-signed X.509
 * certificate for `x5c` injection (node:crypto can parse certificates but not create them).
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { encodeBase64url, utf8 } from '../../src/core/base64url.js';

export function b64(data: string | Uint8Array): string {
  return encodeBase64url(typeof data === 'string' ? utf8(data) : data);
}

export function b64json(value: unknown): string {
  return b64(JSON.stringify(value));
}

export function concatBytes(...parts: (string | Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? utf8(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** `header.payload.MAC` with an HMAC keyed by whatever the attacker hopes the verifier uses. */
export function hmacToken(headerSeg: string, payloadSeg: string, key: string | Uint8Array, hash = 'sha256'): string {
  const input = `${headerSeg}.${payloadSeg}`;
  return `${input}.${b64(createHmac(hash, key).update(input).digest())}`;
}

export type AttackerAlg = 'RS256' | 'EdDSA' | 'ES256';

export interface AttackerKey {
  readonly alg: AttackerAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK as an attacker would embed it. */
  readonly jwk: Record<string, unknown>;
  /** DER of a self-signed certificate for the key, base64 (not url) as `x5c` carries it. */
  readonly x5c: string;
}

export function attackerKey(alg: AttackerAlg): AttackerKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), alg, kid: 'attacker-1' };
  return { alg, privateKey, publicKey, jwk, x5c: Buffer.from(selfSignedCert(alg, privateKey, publicKey)).toString('base64') };
}

/** A JWS signature by the attacker's key (raw R||S for ES256, as a verifier would expect). */
export function attackerSign(key: AttackerKey, signingInput: string): Uint8Array {
  return key.alg === 'RS256' ? sign('sha256', utf8(signingInput), key.privateKey) : signJwsInput(key.alg, key.privateKey, signingInput);
}

/** The raw JWS signature of exact (possibly malformed) signing input: ES256 as R||S. */
export function signJwsInput(alg: 'EdDSA' | 'ES256' | 'HS256', key: KeyObject, signingInput: string): Uint8Array {
  const data = utf8(signingInput);
  if (alg === 'EdDSA') return sign(null, data, key);
  if (alg === 'ES256') return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  return createHmac('sha256', key).update(data).digest();
}

// ---- DER, just enough for ECDSA signatures and one certificate ----

function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(...content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return concatBytes([tag, ...len], body);
}

const seq = (...content: Uint8Array[]): Uint8Array => tlv(0x30, ...content);

function derInteger(unsigned: Uint8Array): Uint8Array {
  let i = 0;
  while (i < unsigned.length - 1 && unsigned[i] === 0) i++;
  const trimmed = unsigned.subarray(i);
  return tlv(0x02, (trimmed[0] ?? 0) & 0x80 ? concatBytes([0], trimmed) : trimmed);
}

function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/** ECDSA raw R||S (JWS) → DER SEQUENCE { INTEGER r, INTEGER s } (what JWS forbids). */
export function rawEcdsaToDer(raw: Uint8Array): Uint8Array {
  return seq(derInteger(raw.subarray(0, 32)), derInteger(raw.subarray(32)));
}

const SIGNATURE_ALGORITHM: Record<AttackerAlg, Uint8Array> = {
  RS256: seq(oid('1.2.840.113549.1.1.11'), tlv(0x05)), // sha256WithRSAEncryption, NULL params
  ES256: seq(oid('1.2.840.10045.4.3.2')), // ecdsa-with-SHA256
  EdDSA: seq(oid('1.3.101.112')), // Ed25519
};

function selfSignedCert(alg: AttackerAlg, privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  const name = seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, utf8('attacker.example')))));
  const tbs = seq(
    tlv(0xa0, derInteger(Uint8Array.of(2))), // [0] version v3
    derInteger(Uint8Array.of(1)),
    SIGNATURE_ALGORITHM[alg],
    name,
    seq(tlv(0x17, utf8('250101000000Z')), tlv(0x17, utf8('450101000000Z'))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign(alg === 'EdDSA' ? null : 'sha256', tbs, privateKey); // DER for ECDSA, as X.509 wants
  return seq(tbs, SIGNATURE_ALGORITHM[alg], tlv(0x03, concatBytes([0], signature)));
}
