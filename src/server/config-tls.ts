/**
 * TOLLGATE_TLS_CERT / TOLLGATE_TLS_KEY: the PEM files the server speaks HTTPS with. Read and
 * checked at boot, so a missing file, a key that is not PEM, or a key for another
 * certificate stops the process (exit 78) naming the setting, rather than failing on the
 * first handshake. Threat: the private key leaking — messages name the file, never its text.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Reader } from './config-reader.js';

/** The certificate chain (leaf first) and its private key, as PEM text. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

export function readTls(read: Reader, problems: string[]): TlsFiles | undefined {
  const certPath = read.optional('TOLLGATE_TLS_CERT');
  const keyPath = read.optional('TOLLGATE_TLS_KEY');
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    problems.push('TOLLGATE_TLS_CERT and TOLLGATE_TLS_KEY: give both PEM files (certificate chain and its private key), or neither');
    return undefined;
  }
  const cert = readPem('TOLLGATE_TLS_CERT', certPath, problems);
  const key = readPem('TOLLGATE_TLS_KEY', keyPath, problems);
  if (cert === undefined || key === undefined) return undefined;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    problems.push(`TOLLGATE_TLS_CERT: ${certPath} is not a PEM certificate`);
    return undefined;
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      problems.push(`TOLLGATE_TLS_KEY: ${keyPath} is not the private key of the certificate in ${certPath}`);
      return undefined;
    }
  } catch {
    problems.push(`TOLLGATE_TLS_KEY: ${keyPath} is not a PEM private key (unencrypted)`);
    return undefined;
  }
  return { cert, key };
}

function readPem(name: string, path: string, problems: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    return undefined;
  }
}
