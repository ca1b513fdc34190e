import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Kept free of src/ imports so wire-level tests can use them without loading the pipeline.
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CAPTURES = join(ROOT, 'captures');
/** The public captures (see captures/public/MANIFEST.md). */
export const PUBLIC = join(CAPTURES, 'public');

/** Every capture file under captures/ (public and lab), as paths relative to the repo root;
 *  none when `captures/<sub>` is absent (the lab captures are not always generated). */
export function captureFiles(sub = ''): string[] {
  const out: string[] = [];
  if (!existsSync(join(CAPTURES, sub))) return out;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(relative(ROOT, p));
    }
  };
  walk(join(CAPTURES, sub));
  return out;
}
