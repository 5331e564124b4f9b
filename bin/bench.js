#!/usr/bin/env node
// `npm run bench`: compiles src/ and bench/ with the project's TypeScript into dist/, then runs
// dist/bench/main.js, which measures and rewrites the results section of docs/BENCHMARKS.md.
// Flags are passed through: `npm run bench -- --help`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'bench', 'tsconfig.json')], { stdio: 'inherit', cwd: root });
if (built.status !== 0) {
  process.stderr.write('bench: the TypeScript build failed (see above)\n');
  process.exit(built.status ?? 1);
}
const { main } = await import(pathToFileURL(join(root, 'dist', 'bench', 'main.js')).href);
process.exitCode = await main(process.argv.slice(2));
