#!/usr/bin/env node
// The bin only starts main(); all logic lives in src/cli. main() reports its own errors; this
// catch is the last resort (a failure to load), still one line unless --debug.
import { main } from '../dist/cli/main.js';

const argv = process.argv.slice(2);
main(argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    const detail = argv.includes('--debug') ? err?.stack ?? err : `${err?.message ?? err} (run with --debug for the stack)`;
    process.stderr.write(`pxecheck: internal error: ${detail}\n`);
    process.exitCode = 2;
  },
);
