/**
 * FORMATS.md §8 families 1–6: attacks through the JOSE header and the signature.
 * Where a case keeps a valid signature by the real key, only the named fault can refuse it.
 */
import { createPublicKey } from 'node:crypto';
import { decodeBase64url } from '../../src/core/base64url.js';
import { attackerKey, attackerSign, b64, hmacToken, rawEcdsaToDer, type AttackerKey } from './jwt-attack-kit.js';
import { reject, type Forge, type JwtAttackCase } from './jwt-attacks.js';

export async function headerAttacks(f: Forge): Promise<JwtAttackCase[]> {
  const families = [algNone(f), confusion(f), kidAttacks(f), keyInjection(f), crit(f), Promise.resolve(damage(f))];
  return (await Promise.all(families)).flat();
}

// 1. alg none in any spelling, with an empty or kept signature; alg missing/empty/null.
async function algNone(f: Forge): Promise<JwtAttackCase[]> {
  const cases = ['none', 'None', 'NONE', 'nOnE'].map((alg) =>
    reject(1, `alg ${alg}, empty signature`, `${f.segment(f.headerWith({ alg }))}.${f.payloadSeg}.`),
  );
  const none = f.segment(f.headerWith({ alg: 'none' }));
  cases.push(reject(1, 'alg none, original signature kept', `${none}.${f.payloadSeg}.${f.signatureSeg}`));
  for (const [label, alg] of [['missing', undefined], ['""', ''], ['null', null]] as const) {
    const h = f.segment(f.headerWith({ alg }));
    cases.push(reject(1, `alg ${label}, real signature`, await f.signSegments(h, f.payloadSeg)));
    const mac = hmacToken(h, f.payloadSeg, f.ctx.publicKeyPem);
    cases.push(reject(1, `alg ${label}, HS256 MAC keyed with the public key PEM`, mac));
  }
  return cases;
}

// 2. HS/RS confusion and algorithm substitution; ECDSA r=s=0 and DER signatures.
async function confusion(f: Forge): Promise<JwtAttackCase[]> {
  const pem = f.ctx.publicKeyPem;
  const trimmed = pem.replace(/\n+$/, '');
  const spkiDer = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  const hs = f.segment(f.headerWith({ alg: 'HS256' }));
  const hs512 = f.segment(f.headerWith({ alg: 'HS512' }));
  const other = f.ctx.alg === 'EdDSA' ? 'ES256' : 'EdDSA';
  const es = f.segment(f.headerWith({ alg: 'ES256' }));
  const derSignature =
    f.ctx.alg === 'ES256'
      ? rawEcdsaToDer(await f.ctx.signRaw(`${es}.${f.payloadSeg}`)) // the real signature, re-encoded
      : rawEcdsaToDer(attackerSign(attackerKey('ES256'), `${es}.${f.payloadSeg}`));
  return [
    reject(2, 'HS256 keyed with the public key PEM', hmacToken(hs, f.payloadSeg, `${trimmed}\n`)),
    reject(2, 'HS256 keyed with the public key PEM without trailing newline', hmacToken(hs, f.payloadSeg, trimmed)),
    reject(2, 'HS256 keyed with the public key SPKI DER', hmacToken(hs, f.payloadSeg, spkiDer)),
    reject(2, 'HS512 keyed with the public key PEM', hmacToken(hs512, f.payloadSeg, pem, 'sha512')),
    reject(2, 'RS256 header over the real key signature', await f.signed(f.headerWith({ alg: 'RS256' }), f.ctx.claims)),
    reject(2, `alg swapped to ${other}, real signature`, await f.signed(f.headerWith({ alg: other }), f.ctx.claims)),
    reject(2, 'ES256 with r=s=0', `${es}.${f.payloadSeg}.${b64(new Uint8Array(64))}`),
    reject(2, 'ES256 with r=0', `${es}.${f.payloadSeg}.${b64(zeroHalf(await f.ctx.signRaw(`${es}.${f.payloadSeg}`), 0))}`),
    reject(2, 'ES256 with s=0', `${es}.${f.payloadSeg}.${b64(zeroHalf(await f.ctx.signRaw(`${es}.${f.payloadSeg}`), 32))}`),
    reject(2, 'ES256 with a DER signature', `${es}.${f.payloadSeg}.${b64(derSignature)}`),
  ];
}

function zeroHalf(signature: Uint8Array, from: number): Uint8Array {
  const out = Uint8Array.from(signature);
  out.fill(0, from, from + 32);
  return out;
}

// 3. kid as an injection vector: paths, SQL, NUL, non-strings, huge.
async function kidAttacks(f: Forge): Promise<JwtAttackCase[]> {
  const hsKid = (kid: string): string => f.segment(f.headerWith({ alg: 'HS256', kid }));
  const traversal = '../../../../../../dev/null';
  const knownFile = '/proc/sys/kernel/randomize_va_space'; // "2\n" on Linux
  const sql = "x' UNION SELECT 'attacker-secret' -- ";
  const realWithKid = (kid: unknown): Promise<string> => f.signed(f.headerWith({ kid }), f.ctx.claims);
  return [
    reject(3, 'kid path traversal to /dev/null, MAC keyed with ""', hmacToken(hsKid(traversal), f.payloadSeg, '')),
    reject(3, 'kid path to a known file, MAC keyed with its contents', hmacToken(hsKid(knownFile), f.payloadSeg, '2\n')),
    reject(3, 'kid SQL injection, MAC keyed with attacker-secret', hmacToken(hsKid(sql), f.payloadSeg, 'attacker-secret')),
    reject(3, 'kid real kid + NUL, real signature', await realWithKid(`${f.ctx.kid}\u0000`)),
    reject(3, 'kid NUL byte only, real signature', await realWithKid('\u0000')),
    reject(3, 'kid as an object, real signature', await realWithKid({ $ne: null })),
    reject(3, 'kid as an array, real signature', await realWithKid([f.ctx.kid])),
    reject(3, 'kid of 100000 chars, real signature', await realWithKid('a'.repeat(100_000))),
    reject(3, 'kid missing, real signature', await realWithKid(undefined)),
    reject(3, 'kid unknown, real signature', await realWithKid('no-such-key')),
  ];
}

// 4. Key injection: jku/x5u/jwk/x5c must never be fetched or trusted (SSRF, CVE-2018-0114).
async function keyInjection(f: Forge): Promise<JwtAttackCase[]> {
  const rsa = attackerKey('RS256');
  const same = attackerKey(f.ctx.alg);
  const trustedOrigin = originOf(f.ctx.claims.iss) ?? 'https://tollgate.example';
  const attackerJwks = 'https://attacker.example/.well-known/jwks.json';
  const redirect = `${trustedOrigin}/redirect?to=${encodeURIComponent(attackerJwks)}`;
  const metadata = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
  const forged = (key: AttackerKey, params: Record<string, unknown>, kid = 'attacker-1'): string => {
    const h = f.segment({ alg: key.alg, typ: f.ctx.typ, kid, ...params });
    return `${h}.${f.payloadSeg}.${b64(attackerSign(key, `${h}.${f.payloadSeg}`))}`;
  };
  const real = (params: Record<string, unknown>): Promise<string> => f.signed({ ...f.header, ...params }, f.ctx.claims);
  return [
    reject(4, 'RS256 with jku to an attacker URL', forged(rsa, { jku: attackerJwks })),
    reject(4, 'RS256 with jku through an open redirect on the trusted host', forged(rsa, { jku: redirect })),
    reject(4, 'RS256 with jku to the cloud metadata address', forged(rsa, { jku: metadata })),
    reject(4, 'RS256 with x5u to an attacker URL', forged(rsa, { x5u: 'https://attacker.example/cert.pem' })),
    reject(4, 'RS256 with an embedded attacker jwk', forged(rsa, { jwk: rsa.jwk })),
    reject(4, 'RS256 with a self-signed attacker x5c', forged(rsa, { x5c: [rsa.x5c] })),
    reject(4, `${f.ctx.alg} with the real kid and an embedded attacker jwk`, forged(same, { jwk: same.jwk }, f.ctx.kid)),
    reject(4, `${f.ctx.alg} with the real kid and an attacker x5c`, forged(same, { x5c: [same.x5c] }, f.ctx.kid)),
    reject(4, `${f.ctx.alg} with the real kid and an attacker jku`, forged(same, { jku: attackerJwks }, f.ctx.kid)),
    reject(4, 'jku present, real signature', await real({ jku: attackerJwks })),
    reject(4, 'x5u present, real signature', await real({ x5u: 'https://attacker.example/cert.pem' })),
    reject(4, 'jwk present, real signature', await real({ jwk: same.jwk })),
    reject(4, 'x5c present, real signature', await real({ x5c: [same.x5c] })),
  ];
}

function originOf(iss: unknown): string | undefined {
  if (typeof iss !== 'string' || !URL.canParse(iss)) return undefined;
  const origin = new URL(iss).origin;
  return origin === 'null' ? undefined : origin;
}

// 5. crit: no extension is understood, so every crit is refused, even with a valid signature.
async function crit(f: Forge): Promise<JwtAttackCase[]> {
  const real = (params: Record<string, unknown>): Promise<string> => f.signed({ ...f.header, ...params }, f.ctx.claims);
  return [
    reject(5, 'crit lists an unknown extension', await real({ crit: ['x-tollgate-ext'], 'x-tollgate-ext': true })),
    reject(5, 'crit empty', await real({ crit: [] })),
    reject(5, 'crit lists a registered name (alg)', await real({ crit: ['alg'] })),
    reject(5, 'crit lists a name not present', await real({ crit: ['x-absent'] })),
  ];
}

// 6. Signature damage.
function damage(f: Forge): JwtAttackCase[] {
  const input = `${f.headerSeg}.${f.payloadSeg}`;
  const signature = decodeBase64url(f.signatureSeg) ?? new Uint8Array();
  const flipped = Uint8Array.from(signature);
  flipped[signature.length >> 1]! ^= 0x01;
  const changedPayload = f.segment(f.claimsWith({ sub: 'admin' }));
  return [
    reject(6, 'signature empty', `${input}.`),
    reject(6, 'signature last char cut', `${input}.${f.signatureSeg.slice(0, -1)}`),
    reject(6, 'signature first 16 bytes only', `${input}.${b64(signature.subarray(0, 16))}`),
    reject(6, 'signature one bit flipped', `${input}.${b64(flipped)}`),
    reject(6, 'signature one byte appended', `${input}.${b64(Uint8Array.from([...signature, 0]))}`),
    reject(6, 'payload changed, old signature', `${f.headerSeg}.${changedPayload}.${f.signatureSeg}`),
  ];
}
