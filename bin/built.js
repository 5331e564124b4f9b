// Compiles one of the project's programs (bench/, sim/) with src/ into dist/, using the
// project's TypeScript, then runs its main(argv) and sets the exit code from it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export async function runBuilt(program) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', join(root, program, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  if (built.status !== 0) {
    process.stderr.write(`${program}: the TypeScript build failed (see above)\n`);
    process.exit(built.status ?? 1);
  }
  const { main } = await import(pathToFileURL(join(root, 'dist', program, 'main.js')).href);
  process.exitCode = await main(process.argv.slice(2));
}
