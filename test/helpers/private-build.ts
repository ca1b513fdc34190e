// One private build of src/ per vitest run, shared by every test file (each file runs in its own
// worker, so the sharing is on disk): os.tmpdir()/pxecheck-build-<hash>/ with dist/, bin/pxecheck.js,
// a package.json {"type":"module"}, a node_modules link and a build/ link (the libpcap binding). The hash covers the source tree, so an
// edit made mid-run by another engineer gets a fresh build instead of a stale one. A mkdir lock keeps
// two workers from building at once; `.complete` is written last, so a directory without it is junk.
// Test files never delete it: test/global-setup.ts does, once the run is over.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export interface PrivateBuild {
  /** The build directory: dist/, bin/, package.json, node_modules. */
  readonly dir: string;
  readonly dist: string;
  /** dist/cli/main.js, absolute. */
  readonly mainJs: string;
  /** bin/pxecheck.js inside the build (what `run --lab` re-runs as `<dist>/../bin/pxecheck.js`). */
  readonly bin: string;
  /** Arguments for spawning process.execPath: ['-e', '<import main, exit with its code>', ...args]. */
  cliArgs(args: readonly string[]): string[];
}

export const BUILD_PREFIX = 'pxecheck-build-';
const COMPLETE = '.complete';
const LOCK_WAIT_MS = 300_000;
/** A lock older than this belongs to a worker that died mid-build (a build takes well under it). */
const STALE_LOCK_MS = 240_000;

/** sha256 over path, size and mtime of every src/**\/*.ts, tsconfig.json and bin/pxecheck.js. */
export function sourceHash(): string {
  const h = createHash('sha256');
  const add = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    h.update(`${p}\0${st?.size ?? -1}\0${st?.mtimeMs ?? -1}\n`);
  };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) add(p);
    }
  };
  walk(join(ROOT, 'src'));
  add(join(ROOT, 'tsconfig.json'));
  add(join(ROOT, 'bin/pxecheck.js'));
  add(join(ROOT, 'scripts/bundle.mjs'));
  return h.digest('hex').slice(0, 16);
}

export function buildDirFor(hash: string): string {
  return join(tmpdir(), `${BUILD_PREFIX}${hash}`);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquireLock(lock: string): void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const st = statSync(lock, { throwIfNoEntry: false });
    if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`private build: timed out waiting for lock ${lock}`);
    sleepSync(250);
  }
}

function build(dir: string): void {
  // Leftovers of a build that died before `.complete` are not trusted.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // The libpcap binding (native/, built by npm install into build/) is found relative to dist/.
  symlinkSync(join(ROOT, 'build'), join(dir, 'build'));
  copyFileSync(join(ROOT, 'bin/pxecheck.js'), join(dir, 'bin/pxecheck.js'));
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json'), '--outDir', join(dir, 'dist'), '--sourceMap', 'false'],
    { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
  );
  // tsc emits despite type errors (another engineer's file mid-edit); only a missing output is fatal.
  if (!existsSync(join(dir, 'dist/cli/main.js'))) {
    throw new Error(`private build of src/ failed (tsc exit ${tsc.status}): ${(tsc.stdout ?? '') + (tsc.stderr ?? '')}`.slice(0, 4000));
  }
  // The bundle the bin prefers (scripts/bundle.mjs), so tests run what users run.
  const bundle = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), join(dir, 'dist')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (bundle.status !== 0) throw new Error(`private build: bundling failed: ${bundle.stderr}`.slice(0, 4000));
  writeFileSync(join(dir, COMPLETE), `${new Date().toISOString()} pid ${process.pid}\n`);
}

const memo = new Map<string, PrivateBuild>();

/** The shared private build for the current source tree, building it if no worker has yet. Synchronous
 *  (tsc takes 10–30 s on a 2-core box): call it from a beforeAll with a long hook timeout. */
export function privateBuild(): PrivateBuild {
  const dir = buildDirFor(sourceHash());
  const known = memo.get(dir);
  if (known && existsSync(join(dir, COMPLETE))) return known;
  if (!existsSync(join(dir, COMPLETE))) {
    const lock = `${dir}.lock`;
    acquireLock(lock);
    try {
      if (!existsSync(join(dir, COMPLETE))) build(dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  const dist = join(dir, 'dist');
  const mainJs = join(dist, 'cli/main.js');
  const script = `import(${JSON.stringify(mainJs)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`;
  const pb: PrivateBuild = { dir, dist, mainJs, bin: join(dir, 'bin/pxecheck.js'), cliArgs: (args) => ['-e', script, ...args] };
  memo.set(dir, pb);
  return pb;
}
