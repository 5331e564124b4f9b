#!/usr/bin/env node
// `npm run bench`: compiles src/ and bench/ with the project's TypeScript into dist/, then runs
// dist/bench/main.js, which measures and rewrites the results section of docs/BENCHMARKS.md.
// Flags are passed through: `npm run bench -- --help`.
import { runBuilt } from './built.js';

await runBuilt('bench');
