#!/bin/sh
":" //; exec node --max-semi-space-size=4 "$0" "$@"
// Line 2 is sh (which runs node with the flag) and a plain string for JS: `env -S` would do the
// same but BusyBox/Alpine's env has no -S. V8's young generation capped at 2 × 4 MB (default
// 2 × 16): analyze of 463k frames peaks ~20 MB lower (176 -> 153 MB), decode too (112 -> 93 MB), at
// the same CPU (README "analyze at scale"). `node bin/pxecheck.js` runs without the flag.
// The bin only starts main(); all logic lives in src/cli. main() reports its own errors; this
// catch is the last resort (a failure to load), still one line unless --debug.
// dist/bundle/ (scripts/bundle.mjs, start-up time) when it is there and not older than tsc's
// output (a bare `tsc` after `npm run build` must not run a stale bundle); else dist/ itself.
import { statSync } from 'node:fs';

const mtime = (rel) => statSync(new URL(rel, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundled = mtime('../dist/bundle/main.js') >= mtime('../dist/cli/main.js');
const argv = process.argv.slice(2);
import(bundled ? '../dist/bundle/main.js' : '../dist/cli/main.js').then((m) => m.main(argv)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    const detail = argv.includes('--debug') ? err?.stack ?? err : `${err?.message ?? err} (run with --debug for the stack)`;
    process.stderr.write(`pxecheck: internal error: ${detail}\n`);
    process.exitCode = 2;
  },
);
