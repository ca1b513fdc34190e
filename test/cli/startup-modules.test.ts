// Start-up (issue 11): a tiny `analyze` or `decode` must not load the heavy libraries the common
// path does without — yargs (help/completion only) and zod (scenarios, schemas). A property test
// instead of a timed one: the modules the bin resolves are recorded by a loader hook.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateBuild } from '../helpers/private-build.js';
import { ROOT } from '../helpers/paths.js';

const TINY = join(ROOT, 'captures/lab/phone-cisco-udhcpc.pcap');

function modulesLoaded(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'pxecheck-startup-'));
  const hook = join(dir, 'hook.mjs');
  const log = join(dir, 'loaded.txt');
  writeFileSync(hook, `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, n) { const r = await n(s, c); if (!r.url.startsWith('node:')) appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }
`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', hook, privateBuild().bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(r.error).toBeUndefined();
  return spawnSync('cat', [log], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
}

describe('start-up: what a small analyze or decode loads', () => {
  it.each([
    ['analyze', ['analyze', TINY]],
    ['decode', ['decode', '--format', 'line', TINY]],
  ])('%s loads neither yargs nor zod, and runs from the bundle', (_name, args) => {
    const urls = modulesLoaded(args);
    expect(urls.some((u) => u.includes('/dist/bundle/'))).toBe(true);
    expect(urls.filter((u) => /node_modules\/(yargs|zod)\//.test(u))).toEqual([]);
  }, 90_000);

  it('the hook sees yargs when help is asked for (the check can fail)', () => {
    const urls = modulesLoaded(['analyze', '--help']);
    expect(urls.some((u) => /node_modules\/yargs\//.test(u))).toBe(true);
  }, 90_000);
});
