/**
 * `net.arp-unanswered`: after its DHCP ACK the device asked by ARP, again and again, for the server
 * its DHCP named, and nobody answered: the PXE ROM stops with PXE-E11 (ARP timeout) and no TFTP
 * request is ever sent. Retries are the evidence: a device that got its reply does not ask again
 * (a capture that misses the reply, one mirrored one way, shows it asking once).
 */
import type { AttemptFacts, DeviceFacts, StepFacts } from '../flow/facts.js';
import { add, fmt, type Ctx } from './rules-context.js';
import { ARP_RETRIES } from '../flow/arp.js';
import { namedServers } from './causes.js';

/** Firmware retries: at least ARP_RETRIES requests of one burst over at least this many seconds (a
 *  legacy ROM tries 4 times in ~1.75 s, EDK2 3 times ~0.5 s apart, iPXE from 1/8 s up). */
const MIN_SPAN_S = 0.75;

export function arpRule(ctx: Ctx, d: DeviceFacts): void {
  if (d.role !== 'boot') return;
  for (let k = 0; k < d.attempts.length; k++) {
    const a = d.attempts[k]!;
    if (a.arp === undefined || a.entry === 'os') continue;
    const until = d.attempts[k + 1]?.start ?? Infinity;
    let ack: Extract<StepFacts, { kind: 'dhcp4' }> | null = null;
    for (let i = a.firstStep; i <= a.lastStep; i++) {
      const s = d.steps[i]!;
      if (s.kind === 'dhcp4' && s.ack !== null) ack = s;
    }
    if (ack === null) continue;
    const named = namedServers(ack.step);
    // Its router: a server off its subnet is reached through it (the ROM ARPs for the router instead).
    const router = ack.ack!.router;
    if (router !== null && !named.has(router)) named.set(router, 'router (option 3)');
    for (const ask of a.arp) {
      const what = named.get(ask.target);
      if (what === undefined || ask.replied !== null || ask.first < ack.ack!.time) continue;
      if (ask.requests < ARP_RETRIES || ask.last - ask.first < MIN_SPAN_S || sentTo(d, a, until, ask.target, ask.first)) continue;
      // It went on to another server (option 150's next, another URL): that one was down, the boot was not stopped by it.
      const wentOn = fetchedAfter(d, a, ask.first);
      ctx.attempt = a;
      add(ctx, 'net.arp-unanswered', d.key, ask.first, [...ask.frames],
        `After its DHCP ACK the device asked ${ask.requests} times over ${fmt(ask.last - ask.first)} s who has ${ask.target} (its ${what}) and no ARP reply came: the firmware gives up without sending it a request (a BIOS PXE ROM prints PXE-E11 ARP timeout)${wentOn ? '; it then went on to another server' : ''}.`,
        undefined, wentOn ? 'warning' : undefined, { bios: 'PXE-E11', uefi: 'PXE-E18' });
      break;
    }
  }
}

/** In the same attempt (before `until`), the device sent something to `server` from `time` on (a
 *  transfer, one refused by ICMP): ARP resolved it, its reply off the capture. A later boot
 *  reaching it says nothing of this one. */
function sentTo(d: DeviceFacts, a: AttemptFacts, until: number, server: string, time: number): boolean {
  for (let i = a.firstStep; i <= a.lastStep; i++) {
    const s = d.steps[i]!;
    if ((s.kind === 'tftp' || s.kind === 'http') && s.step.server === server && s.step.start >= time) return true;
  }
  return d.unreachable.some((u) => u.server === server && u.time >= time && u.time < until);
}

function fetchedAfter(d: DeviceFacts, a: AttemptFacts, time: number): boolean {
  for (let i = a.firstStep; i <= a.lastStep; i++) {
    const s = d.steps[i]!;
    if ((s.kind === 'tftp' || s.kind === 'http') && s.step.start >= time) return true;
  }
  return false;
}
