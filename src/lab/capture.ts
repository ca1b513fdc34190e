// tcpdump inside a lab namespace; stopped with SIGINT so the file ends on a complete record.
import { readFileSync, renameSync, rmSync } from 'node:fs';
import type { Lab, LabProcess } from './lab.js';
import { runOk } from './run.js';

export interface CaptureOptions {
  readonly ns: string;
  readonly iface: string;
  /** Output file; tcpdump writes classic pcap whatever the name (see toPcapng). */
  readonly file: string;
  /** BPF filter, e.g. 'not ip6'. */
  readonly filter?: string;
}

export interface Capture {
  readonly proc: LabProcess;
  readonly file: string;
  /** SIGINT, bounded wait, SIGKILL as a last resort. */
  stop(): Promise<void>;
}

export async function startCapture(lab: Lab, o: CaptureOptions): Promise<Capture> {
  const label = `tcpdump-${o.iface}`;
  const proc = await lab.startServer({
    label,
    ns: o.ns,
    cmd: 'tcpdump',
    // -Z root: Debian's tcpdump drops to user tcpdump, which may not write our temp dirs.
    // -U --immediate-mode: each packet is written at once, nothing sits in a buffer at stop.
    // -B 8192: an 8 MiB kernel buffer, so a TCP burst on a loaded machine is not dropped.
    args: ['-i', o.iface, '-n', '-s', '0', '-B', '8192', '-U', '--immediate-mode', '-Z', 'root', '-w', o.file, ...(o.filter ? [o.filter] : [])],
    ready: () => safeRead(proc0(lab, label)).includes('listening on'),
    // Polled: as soon as it listens when the machine is idle; a loaded CI box may take seconds.
    readyTimeoutMs: 30_000,
  });
  return { proc, file: o.file, stop: () => lab.stop(proc, 'SIGINT', 5_000) };
}

// startServer's ready() runs before it returns the handle: look the log up by label instead.
function proc0(lab: Lab, label: string): string {
  const p = lab.processes.find((x) => x.label === label);
  return p?.logFile ?? '';
}

function safeRead(file: string): string {
  try {
    return file ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

/** Rewrites a pcap file as pcapng in place (editcap from the tshark/wireshark tools). */
export function toPcapng(file: string): void {
  const tmp = `${file}.ng.tmp`;
  runOk('editcap', ['-F', 'pcapng', file, tmp], { timeoutMs: 30_000 });
  rmSync(file, { force: true });
  renameSync(tmp, file);
}
