// One firmware boot recorded by `pxecheck capture` and read back by analyzeCapture: shared by the
// IPv4 and IPv6 firmware end-to-end tests (test/e2e/firmware*.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis, ClientReport as BootChain } from '../../src/analysis/types.js';
import { bootFirmware, type FirmwareBootOptions, type FirmwareBootResult } from '../../src/lab/firmware-boot.js';
import { labDown, labUp, type LabInfo, type LabUpOptions } from '../../src/lab/labctl.js';
import { waitFor } from '../../src/lab/index.js';
import type { PrivateBuild } from './private-build.js';

/** A running `pxecheck capture` (the private build) inside the lab's client namespace. */
export interface CaptureProc {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

/**
 * bootFirmware's options with a stopWhen that sees the lab (which exists only once labUp ran), and
 * `captured`: what the test asserts last about the client's chain (e.g. httpComplete('/initrd.img')).
 * stopWhen sees a server's log, which runs ahead of the wire and of the capture file; QEMU and the
 * capture stop only once the file, as analyzed, shows `captured` (polled, bounded).
 */
export type FirmwareBootSpec = Omit<FirmwareBootOptions, 'stopWhen' | 'settled'> & {
  stopWhen: (lab: LabInfo) => boolean;
  captured: (chain: BootChain) => boolean;
};

export interface FirmwareRun {
  readonly analysis: Analysis;
  /** The booting client's chain (by its MAC), if the capture has one. */
  readonly chain: BootChain | undefined;
  readonly result: FirmwareBootResult;
  readonly lab: LabInfo;
  readonly captureOut: string;
}

/** `pxecheck capture -i br0 -w FILE --duration S` inside namespace `ns`; stdout and stderr are collected together. */
export function startCapture(build: PrivateBuild, ns: string, file: string, durationS: number): CaptureProc {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...build.cliArgs(['capture', '-i', 'br0', '-w', file, '--duration', String(durationS)])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { child, output: () => out, exit };
}

/**
 * labUp → capture on br0 into `<dir>/<lab name>.pcapng` → boot until stopWhen, then until the
 * capture shows `captured` → SIGINT the capture (it must exit 0) → analyze; labDown before
 * (leftovers of a killed run) and after, in any case. With `keepDir`, the recording is also copied
 * there for a look by hand.
 */
export async function recordFirmwareBoot(
  build: PrivateBuild,
  up: LabUpOptions & { name: string },
  boot: FirmwareBootSpec,
  dir: string,
  keepDir?: string,
): Promise<FirmwareRun> {
  const file = join(dir, `${up.name}.pcapng`);
  await labDown(up.name);
  let cap: CaptureProc | undefined;
  try {
    const lab = await labUp(up);
    cap = startCapture(build, lab.clientNs, file, Math.ceil(boot.timeoutMs / 1000) + 60);
    const c = cap;
    const listening = await waitFor(() => /listening on br0/.test(c.output()) || c.child.exitCode !== null, 20_000, 100);
    if (!listening || c.child.exitCode !== null) throw new Error(`capture did not start: ${c.output()}`);
    const { stopWhen, captured, ...options } = boot;
    // QEMU (which may still have to ACK) and the capture run on until the file holds the end the
    // test asserts: nginx logs a GET once the response is in its socket, not on the wire, and the
    // capture writes what it read every 250 ms; a loaded box may lag seconds behind both.
    const settled = () => captureShows(file, boot.mac, captured);
    const result = await bootFirmware(lab, { ...options, stopWhen: () => stopWhen(lab), settled });
    c.child.kill('SIGINT');
    const code = await Promise.race([c.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    expect(code, `capture exit (output: ${c.output()})`).toBe(0);
    if (keepDir) {
      mkdirSync(keepDir, { recursive: true });
      copyFileSync(file, join(keepDir, `${up.name}.pcapng`));
    }
    const analysis = await analyzeCapture(file);
    return { analysis, chain: analysis.clients.find((x) => x.mac === boot.mac), result, lab, captureOut: c.output() };
  } finally {
    if (cap && cap.child.exitCode === null && cap.child.signalCode === null) cap.child.kill('SIGKILL');
    await labDown(up.name);
  }
}

/** Whether the capture file, as written so far, has a chain for `mac` that shows `captured`. */
async function captureShows(file: string, mac: string, captured: (chain: BootChain) => boolean): Promise<boolean> {
  try {
    const chain = (await analyzeCapture(file)).clients.find((x) => x.mac === mac);
    return chain !== undefined && captured(chain);
  } catch {
    return false; // not readable yet: the next poll reads it again
  }
}

/** A `captured`: the chain has a complete HTTP response to a GET of a URL ending in `path`. */
export const httpComplete = (path: string) => (chain: BootChain): boolean =>
  chain.steps.some((s) => s.kind === 'http' && s.url.endsWith(path) && s.complete);

/** A `captured`: the chain has a TFTP read of `file` that the server answered with an error. */
export const tftpFailed = (file: string) => (chain: BootChain): boolean =>
  chain.steps.some((s) => s.kind === 'tftp' && s.file === file && s.error !== null);

/** The boot stopped because stopWhen held and the client has a chain; returns that chain. */
export function expectStoppedWithChain(r: FirmwareRun, why: string): BootChain {
  expect(r.result.reason, why).toBe('stopWhen');
  expect(r.chain, why).toBeDefined();
  return r.chain!;
}

/** A stopWhen: the lab's nginx logged a GET of `path`. */
export const nginxLogHas = (path: string) => (lab: LabInfo): boolean => {
  const log = lab.servers.find((s) => s.label === 'nginx')?.log;
  return log !== undefined && readText(log).includes(`GET ${path}`);
};

/** A file's text, or '' while it does not exist yet. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** "N s total, boot M s (accel)" for the per-test timing line. */
export function timing(started: number, r: FirmwareBootResult): string {
  return `${Math.round((Date.now() - started) / 1000)} s total, boot ${Math.round(r.elapsedMs / 1000)} s (${r.accel})`;
}
