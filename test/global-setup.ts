// Housekeeping for test/helpers/private-build.ts: builds are shared across the workers of a run (and
// with concurrent runs by other engineers in the same tree), so only the last run to finish removes
// them. Each run registers its pid under pxecheck-build-runs/; at the start, builds older than a day
// are removed (leftovers of killed runs); at the end, all builds go if no other registered run lives.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_PREFIX } from './helpers/private-build.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const RUNS = join(tmpdir(), 'pxecheck-build-runs');

function builds(): string[] {
  // <prefix><hash> and its .lock; not the runs registry, which shares the prefix' first word.
  const own = new RegExp(`^${BUILD_PREFIX}[0-9a-f]{16}(\\.lock)?$`);
  return readdirSync(tmpdir()).filter((n) => own.test(n)).map((n) => join(tmpdir(), n));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export default function setup(): () => void {
  const now = Date.now();
  for (const dir of builds()) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && now - st.mtimeMs > DAY_MS) rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(RUNS, { recursive: true });
  const me = join(RUNS, String(process.pid));
  writeFileSync(me, '');
  return () => {
    rmSync(me, { force: true });
    const others = readdirSync(RUNS).map(Number).filter((pid) => {
      if (alive(pid)) return true;
      rmSync(join(RUNS, String(pid)), { force: true });
      return false;
    });
    if (others.length === 0) for (const dir of builds()) rmSync(dir, { recursive: true, force: true });
  };
}
