/**
 * Transfer rules: TFTP steps, and ICMP unreachables that refused a client's boot-chain datagram.
 */
import type { ChainState, TftpState } from '../flow/state.js';
import { add, fmt, type Ctx } from './rules-context.js';

/** An ICMP destination unreachable that answered a client's boot-chain datagram (the builder
 *  collects them per chain key). */
export interface UnreachableFact {
  /** Where the refused datagram went, its UDP port, and what it was for. */
  server: string;
  port: number;
  service: 'TFTP' | 'TFTP transfer' | 'DHCP' | 'proxyDHCP' | 'DHCPv6';
  /** The ICMP code name: `port unreachable`, `host unreachable`, `communication administratively prohibited`... */
  reason: string;
  /** Who sent the ICMP error: the server itself, or a router/firewall on the way. */
  reporter: string;
  icmpFrame: number;
  time: number;
  /** Frame of the refused request when known (the RRQ, the REQUEST to 4011), else 0. */
  requestFrame: number;
  /** TFTP: the file of the transfer. */
  file: string | null;
}

export function tftpRules(ctx: Ctx, mac: string, s: TftpState, ignored: Set<string>, states: ChainState['states'], i: number): void {
  const step = s.step;
  if (step.probe) {
    add(ctx, 'tftp.tsize-probe', mac, step.start, [s.requestFrame, s.errorFrame],
      `Size probe of "${step.file}" (tsize ${step.tsize ?? '?'}) ended by the client with ERROR ${step.error?.code ?? '?'} before the transfer.`);
  } else if (step.error) {
    if (ctx.icmpFrames.has(s.errorFrame)) {
      // Failed by an ICMP unreachable: net.port-unreachable says so.
    } else if (!(step.error.code === 1 && /pxelinux\.cfg\//i.test(step.file) && laterPxelinuxConfigOk(states, i))) {
      const who = s.errorFromClient ? 'the client' : `server ${step.server}`;
      add(ctx, 'tftp.error', mac, step.start, [s.requestFrame, s.errorFrame],
        `RRQ "${step.file}": ERROR ${step.error.code} (${step.error.message || 'no message'}) from ${who}.`,
        step.error.code === 1 ? `"${step.file}" was not found: check that it exists under the TFTP root with this exact name and case (and the path prefix the server adds).` : undefined);
    }
  } else if (!step.complete) {
    const idle = ctx.end - s.last;
    const stalled = nextPacketGap(states, i, s.last) >= ctx.th.tftpIdle || idle >= ctx.th.tftpIdle
      || (laterTftpSameFile(states, i) && s.highestBlock > 0);
    const noAnswer = !s.serverAnswered && ctx.end - step.start >= ctx.th.noReply;
    if (stalled || noAnswer) {
      add(ctx, 'tftp.timeout', mac, s.last, [s.requestFrame, step.frames[step.frames.length - 1] ?? s.requestFrame],
        s.serverAnswered
          ? `Transfer of "${step.file}" from ${step.server} stopped after ${step.blocks} block(s) / ${step.bytes} bytes${step.tsize !== null ? ` of ${step.tsize}` : ''} (idle ${fmt(Math.max(idle, 0))} s).`
          : `RRQ "${step.file}" to ${step.server} was never answered (${fmt(ctx.end - step.start)} s).`);
    }
  }
  if (step.retransmits > 0) {
    add(ctx, 'tftp.retransmit', mac, step.start, step.frames.slice(0, 16),
      `Transfer of "${step.file}": ${step.retransmits} retransmission(s) over ${step.blocks} block(s).`);
  }
  if (s.serverAnswered && (s.oack || s.highestBlock > 0)) {
    const acked = new Set(Object.keys(step.acknowledgedOptions).map((k) => k.toLowerCase()));
    const missing = Object.keys(step.requestedOptions).filter((k) => !acked.has(k.toLowerCase()) && !ignored.has(k.toLowerCase()));
    if (missing.length > 0) {
      for (const k of missing) ignored.add(k.toLowerCase());
      add(ctx, 'tftp.option-ignored', mac, step.start, [s.requestFrame],
        `Server ${step.server} did not acknowledge ${missing.map((k) => `${k}=${step.requestedOptions[k]}`).join(', ')} for "${step.file}".`);
    }
  }
}

const UNREACHABLE_HINTS: Partial<Record<UnreachableFact['service'], string>> = {
  proxyDHCP: 'Nothing listens on UDP 4011 at that address: start the proxyDHCP/boot service there (dnsmasq dhcp-range=...,proxy, WDS, FOG) or stop pointing clients at it, and check firewalls.',
  DHCP: 'Nothing listens on UDP 67 at that address: check that the DHCP server runs there (or that the relay helper address points at the right host), and firewalls.',
  DHCPv6: 'Nothing listens on UDP 547 at that address: check that the DHCPv6 server runs there, and firewalls.',
};

/** One finding per (server, port, reason, reporter) of a client, naming the request it refused. */
export function unreachableRule(ctx: Ctx, mac: string, facts: readonly UnreachableFact[] | undefined): void {
  if (!facts || facts.length === 0) return;
  const groups = new Map<string, UnreachableFact[]>();
  for (const u of facts) {
    const k = `${u.server}|${u.port}|${u.reason}|${u.reporter}`;
    const g = groups.get(k);
    if (g) g.push(u);
    else groups.set(k, [u]);
  }
  for (const g of groups.values()) {
    const u = g[0]!;
    const frames: number[] = [];
    for (const x of g) {
      if (x.requestFrame > 0 && !frames.includes(x.requestFrame)) frames.push(x.requestFrame);
      if (!frames.includes(x.icmpFrame)) frames.push(x.icmpFrame);
      if (frames.length >= 16) break;
    }
    frames.sort((a, b) => a - b);
    const icmpFrames = g.map((x) => x.icmpFrame);
    const where = `frame${icmpFrames.length > 1 ? 's' : ''} ${icmpFrames.slice(0, 4).join(', ')}${icmpFrames.length > 4 ? ', …' : ''}`;
    const svc = u.service === 'TFTP transfer' ? 'TFTP' : u.service;
    const port = u.service === 'TFTP transfer' ? `transfer port UDP ${u.port}` : `UDP ${u.port}`;
    const head = u.reason === 'port unreachable' && u.reporter === u.server
      ? `${svc} server ${u.server} is not listening on ${port} (ICMP port unreachable, ${where})`
      : `${svc} request to ${u.server} (${port}) refused: ICMP ${u.reason} from ${u.reporter} (${where})`;
    let tail = '.';
    const req = u.requestFrame > 0 ? ` (frame ${u.requestFrame})` : '';
    if (u.service === 'TFTP') tail = `: RRQ "${u.file ?? ''}"${req} failed.`;
    else if (u.service === 'TFTP transfer') tail = `: the transfer of "${u.file ?? ''}" was aborted.`;
    else if (u.service === 'proxyDHCP') tail = `: the boot server does not run proxyDHCP (PXE-E55)${u.requestFrame > 0 ? `, REQUEST${req} unanswered` : ''}.`;
    else if (u.requestFrame > 0) tail = `: REQUEST${req} unanswered.`;
    add(ctx, 'net.port-unreachable', mac, u.time, frames, head + tail, UNREACHABLE_HINTS[u.service]);
  }
}

function laterPxelinuxConfigOk(states: ChainState['states'], i: number): boolean {
  for (let k = i + 1; k < states.length; k++) {
    const s = states[k]!;
    if (s.kind === 'tftp' && /pxelinux\.cfg\//i.test(s.step.file) && s.step.complete) return true;
  }
  return false;
}

function laterTftpSameFile(states: ChainState['states'], i: number): boolean {
  const file = (states[i] as TftpState).step.file;
  for (let k = i + 1; k < states.length; k++) {
    const s = states[k]!;
    if (s.kind === 'tftp' && s.step.file === file) return true;
  }
  return false;
}

/** Seconds from `last` to the next step of the chain that starts after it; 0 when there is none
 *  (the idle check against the capture's end judges a chain's last transfer). */
function nextPacketGap(states: ChainState['states'], i: number, last: number): number {
  for (let k = i + 1; k < states.length; k++) {
    const t = states[k]!.step.start;
    if (t >= last) return t - last;
  }
  return 0;
}
