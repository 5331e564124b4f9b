import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = join(import.meta.dirname, '../../src/core');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sources(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))),
  );
  return nested.flat();
}

describe('src/core stays pure (it must run in CDN edge runtimes)', () => {
  it('imports nothing from Node, the server or the outside, and never reads the clock itself', async () => {
    const files = await sources(CORE);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const code = await readFile(file, 'utf8');
      const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).toMatch(/^\.\.?\//);
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).not.toMatch(/server|media|cli/);
      expect(code, file).not.toMatch(/Date\.now\(|new Date\(\)|Math\.random\(|process\./);
    }
  });
});
