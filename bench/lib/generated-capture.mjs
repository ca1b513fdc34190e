// One generated boot capture per parameter set, cached under bench/out/ with its parameters beside
// it (FILE.params.json), so decode-vs-tshark and analyze-scale share the same big files.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The capture `c.file` generated from `c.params` (reused when its params match); returns its frame count. */
export async function ensureCapture(c, log = () => {}) {
  const meta = `${c.file}.params.json`;
  const want = JSON.stringify(c.params);
  if (existsSync(c.file) && existsSync(meta)) {
    const have = JSON.parse(readFileSync(meta, 'utf8'));
    if (JSON.stringify(have.params) === want) return have.frames;
  }
  mkdirSync(dirname(c.file), { recursive: true });
  const { generateBootTraffic, writeCapture } = await import('../../dist/gen/index.js');
  const t0 = performance.now();
  const { frames } = writeCapture(c.file, { format: 'pcap' }, (emit) => generateBootTraffic(c.params, emit));
  writeFileSync(meta, JSON.stringify({ params: c.params, frames }, null, 2));
  log(`generated ${c.file}: ${frames} frames, ${(statSync(c.file).size / 1048576).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return frames;
}
