/**
 * Secrets at rest. Signing keys and content keys are stored sealed with AES-256-GCM under the
 * master key, so a copy of the database alone discloses no key. The record's identity (e.g.
 * "signing:<kid>") is the additional authenticated data: a sealed value moved onto another
 * record fails to open instead of becoming that record's key.
 *
 * Format: "v1.<iv base64url>.<ciphertext‖tag base64url>".
 *
 * Opening insists on a 12-byte IV and a 16-byte tag: Node's GCM otherwise accepts any IV
 * length and tags as short as 4 bytes, and a 4-byte tag is forged in about 2^32 tries.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  seal(plaintext: Uint8Array, context: string): string;
  open(sealed: string, context: string): Uint8Array;
}

export function createSealer(masterKey: Uint8Array): Sealer {
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  const key = Buffer.from(masterKey);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== 'v1' || ivText === undefined || bodyText === undefined) {
        throw new Error('sealed value has an unknown format');
      }
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      const damaged = new Error(`cannot open sealed ${context}: wrong master key or damaged value`);
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw damaged;
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        return new Uint8Array(Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]));
      } catch {
        throw damaged;
      }
    },
  };
}
