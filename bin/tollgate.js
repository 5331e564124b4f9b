#!/usr/bin/env node
// The compiled CLI; `npm install` builds dist/ through the `prepare` script.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
