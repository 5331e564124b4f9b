/**
 * Test certificates made with openssl, as an operator would: a CA, and a server certificate
 * it signs for a DNS name (not localhost: browsers treat localhost as a secure context even
 * over HTTP, so only another name proves that TLS is what makes EME work).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHash, createPublicKey } from 'node:crypto';

const run = promisify(execFile);

export interface TestCertificates {
  readonly dir: string;
  /** The server's PEM chain, leaf then CA (what TOLLGATE_TLS_CERT points at). */
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPem: string;
  /** base64 SHA-256 of the CA's SubjectPublicKeyInfo, for Chromium's --ignore-certificate-errors-spki-list. */
  readonly caSpki: string;
  remove(): Promise<void>;
}

export async function makeTestCertificates(dnsName: string): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-days', '2', '-subj', '/CN=Tollgate test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${dnsName}`);
  await writeFile(at('server.ext'), `subjectAltName=DNS:${dnsName}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
  const caPem = await readFile(at('ca.pem'), 'utf8');
  await writeFile(at('chain.pem'), (await readFile(at('server.pem'), 'utf8')) + caPem);
  const spki = createPublicKey(caPem).export({ type: 'spki', format: 'der' });
  return {
    dir,
    certPath: at('chain.pem'),
    keyPath: at('server.key'),
    caPem,
    caSpki: createHash('sha256').update(spki).digest('base64'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
