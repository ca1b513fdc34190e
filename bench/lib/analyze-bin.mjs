// The CLI of one build (a dist/ folder) started as bin/pxecheck.js starts its own: its bundle when
// that is not older than tsc's output, else dist/cli. For a bench that times two builds in the same
// turns (--base DIST); run it under `node --max-semi-space-size=4` as the bin's #! line does.
//   node --max-semi-space-size=4 bench/lib/analyze-bin.mjs DIST analyze FILE --format json
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, ...argv] = process.argv.slice(2);
const mtime = (p) => statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundle = join(resolve(dist), 'bundle', 'main.js');
const cli = join(resolve(dist), 'cli', 'main.js');
const m = await import(pathToFileURL(mtime(bundle) >= mtime(cli) ? bundle : cli).href);
process.exitCode = await m.main(argv);
