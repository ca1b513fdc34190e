#!/usr/bin/env node
// Links tsc's output (dist/) into a few ESM files (dist/bundle/): one file to load instead of ~170
// is a third of a tiny `analyze` (README "Start-up"). Each command stays its own chunk (the lazy
// imports in src/cli/main.ts become chunk boundaries); npm packages stay external (yargs finds its
// locale files and our package.json from its own place in node_modules).
// Run by `npm run build` after tsc: node scripts/bundle.mjs [DIST_DIR]
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url)));
const outdir = join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  // The analyze and TFTP workers are loaded by URL next to their pool's chunk (new URL('./analyze-worker.js')).
  entryPoints: {
    main: join(dist, 'cli/main.js'), 'analyze-worker': join(dist, 'cli/analyze-worker.js'),
    'tftp-worker': join(dist, 'scenario/transport/offload/tftp-worker.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
