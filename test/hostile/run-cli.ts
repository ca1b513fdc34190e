/**
 * Runs the CLI of the private build (test/helpers/private-build.ts) in a child process and reports
 * its peak RSS, read by the child itself at exit (process.resourceUsage().maxRSS): no /usr/bin/time.
 */
import { spawnSync } from 'node:child_process';
import { privateBuild } from '../helpers/private-build.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set of the child, in MiB. */
  peakMiB: number;
  seconds: number;
  /** CPU seconds (user + system) of the child: steadier than wall time on a loaded machine. */
  cpuSeconds: number;
}

const MARK = '\nPXECHECK-MAXRSS-KB ';

/** `ns`: run inside that network namespace (`ip netns exec`). */
export function runCli(args: readonly string[], timeoutMs = 120_000, ns?: string): CliRun {
  const b = privateBuild();
  const script = `import(${JSON.stringify(b.mainJs)}).then((m) => m.main(process.argv.slice(1))).then((c) => {` +
    `const u = process.resourceUsage(); process.stderr.write(${JSON.stringify(MARK)} + u.maxRSS + ' ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); process.exit(c); })`;
  const node = [process.execPath, '-e', script, ...args];
  const [cmd, ...argv] = ns === undefined ? node : ['ip', 'netns', 'exec', ns, ...node];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd!, argv, {
    encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 256 << 20, timeout: timeoutMs,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const at = r.stderr.lastIndexOf(MARK);
  const [kb, cpuUs] = at >= 0 ? r.stderr.slice(at + MARK.length).trim().split(' ').map(Number) : [NaN, NaN];
  return { code: r.status, stdout: r.stdout, stderr: at >= 0 ? r.stderr.slice(0, at) : r.stderr, peakMiB: kb! / 1024, seconds, cpuSeconds: cpuUs! / 1e6 };
}
