#!/usr/bin/env node
// The bin only starts main(); all logic lives in src/cli.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`pxecheck: internal error: ${err?.stack ?? err}\n`); process.exitCode = 2; },
);
