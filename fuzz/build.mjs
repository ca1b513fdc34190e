// Builds the fuzz targets for the engine: esbuild bundles fuzz/targets.ts with the src/ it
// imports into one ESM file, istanbul-lib-instrument adds its counters (statements, branch arms,
// functions), and the counters are swapped for typed arrays so the engine resets and reads them
// in microseconds. Cached in fuzz/.build/ by the hash of the bundle (git-ignored).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { CoverageMap } from './engine.mjs';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const COVERAGE_VAR = '__pxecheckFuzzCoverage';

/** Loads the instrumented targets: { TARGETS, records, coverage: CoverageMap, buildSeconds }. */
export async function loadTargets() {
  const t0 = performance.now();
  const out = await build({
    entryPoints: [join(here, 'targets.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  const code = out.outputFiles[0].text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(here, '.build');
  const file = join(dir, `targets-${hash}.mjs`);
  if (!existsSync(file)) {
    const { createInstrumenter } = require('istanbul-lib-instrument');
    const instrumenter = createInstrumenter({ esModules: true, coverageVariable: COVERAGE_VAR, compact: true, produceSourceMap: false });
    const instrumented = instrumenter.instrumentSync(code, file);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${file}.tmp`, instrumented);
    (await import('node:fs')).renameSync(`${file}.tmp`, file);
  }
  const mod = await import(pathToFileURL(file).href);
  const coverage = new CoverageMap(typedCounters(globalThis[COVERAGE_VAR]));
  return { TARGETS: mod.TARGETS, records: mod.records, coverage, buildSeconds: (performance.now() - t0) / 1000 };
}

/** istanbul keeps counters in plain objects ({0: n, …}); the same object's fields become typed
 *  arrays (the instrumented code indexes them the same way), branch arms as views of one array. */
function typedCounters(all) {
  const arrays = [];
  for (const cov of Object.values(all)) {
    for (const key of ['s', 'f']) {
      const n = Object.keys(cov[key]).length;
      cov[key] = new Uint32Array(n);
      arrays.push(cov[key]);
    }
    const arms = Object.values(cov.b).reduce((s, a) => s + a.length, 0);
    const flat = new Uint32Array(arms);
    let o = 0;
    for (const k of Object.keys(cov.b)) {
      const n = cov.b[k].length;
      cov.b[k] = flat.subarray(o, o + n);
      o += n;
    }
    arrays.push(flat);
  }
  return arrays;
}
