#!/usr/bin/env node
// `npm run simulate`: compiles src/ and sim/ with the project's TypeScript into dist/, then runs
// dist/sim/main.js, which simulates a day of viewers and abusers against Tollgate's detectors
// and rewrites the results section of docs/DETECTION.md. Flags: `npm run simulate -- --help`.
import { runBuilt } from './built.js';

await runBuilt('sim');
