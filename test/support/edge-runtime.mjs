// An edge-worker stand-in: loads `tollgate/core` (and `jose`, whose web build is what edge
// workers use for access tokens) as ES modules into a fresh V8 context whose only host objects
// are the Web APIs an edge runtime offers (crypto, TextEncoder/TextDecoder, atob/btoa,
// structuredClone). No process, no require, no Buffer, and an import of anything but those
// two packages' own relative files (node:crypto, node:buffer, another package) fails to link.
// Run: node --experimental-vm-modules edge-runtime.mjs <compiled core dir>, with a worker
// module's source on stdin: `export default async () => result` importing 'tollgate/core' or 'jose'.
// Prints the JSON of the result, or exits 1 with the error.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import vm from 'node:vm';

const coreDir = resolve(process.argv[2]);
const joseDir = dirname(createRequire(import.meta.url).resolve('jose'));
const PACKAGES = { 'tollgate/core': coreDir, jose: joseDir };
const context = vm.createContext({ crypto: globalThis.crypto, TextEncoder, TextDecoder, atob, btoa, structuredClone });
const modules = new Map();

async function load(path) {
  let module = modules.get(path);
  if (module === undefined) {
    module = new vm.SourceTextModule(await readFile(path, 'utf8'), { identifier: path, context });
    modules.set(path, module);
  }
  return module;
}

async function link(specifier, referencing) {
  if (Object.hasOwn(PACKAGES, specifier)) return load(join(PACKAGES[specifier], 'index.js'));
  const path = resolve(dirname(referencing.identifier), specifier);
  const within = (dir) => !relative(dir, path).startsWith('..') && !relative(dir, referencing.identifier).startsWith('..');
  if (!/^\.\.?\//.test(specifier) || !Object.values(PACKAGES).some(within)) {
    throw new Error(`not available at the edge: ${specifier} (imported by ${referencing.identifier})`);
  }
  return load(path);
}

try {
  let source = '';
  for await (const chunk of process.stdin) source += chunk;
  const worker = new vm.SourceTextModule(source, { identifier: join(coreDir, '..', 'worker.js'), context });
  await worker.link(link);
  await worker.evaluate();
  const result = await worker.namespace.default();
  process.stdout.write(JSON.stringify(result));
} catch (error) {
  process.stderr.write(String(error?.stack ?? error));
  process.exit(1);
}
