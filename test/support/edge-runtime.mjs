// An edge-worker stand-in: loads `tollgate/core` as ES modules into a fresh V8 context whose
// only host objects are the Web APIs an edge runtime offers (crypto, TextEncoder/TextDecoder,
// atob/btoa). No process, no require, no Buffer, and an import of anything but core's own
// relative files (node:crypto, node:buffer, a package) fails to link, as it would at the edge.
// Run: node --experimental-vm-modules edge-runtime.mjs <compiled core dir>, with a worker
// module's source on stdin: `export default async () => result` that imports 'tollgate/core'.
// Prints the JSON of the result, or exits 1 with the error.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import vm from 'node:vm';

const coreDir = resolve(process.argv[2]);
const context = vm.createContext({ crypto: globalThis.crypto, TextEncoder, TextDecoder, atob, btoa });
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
  if (specifier === 'tollgate/core') return load(join(coreDir, 'index.js'));
  const path = resolve(dirname(referencing.identifier), specifier);
  if (!/^\.\.?\//.test(specifier) || relative(coreDir, path).startsWith('..')) {
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
