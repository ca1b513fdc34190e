/**
 * IPv6 rules: DHCPv6 steps, the IPv6 boot stall per chain, and the router-advertisement rules per
 * link (capture-wide).
 */
import type { AttemptFacts, DeviceFacts, Dhcp6Facts, StepFacts } from '../flow/facts.js';
import type { Dhcp6Status, RouterInfo } from '../flow/types.js';
import type { Finding } from './types.js';
import { flagsText, linkOf, prefixSet } from '../flow/routers.js';
import { isIpxeBinary } from '../flow/classify.js';
import { REBOOT_GAP_S } from '../flow/attempts.js';
import { laterAnsweredDhcp6, laterHttpOfUrl } from './step-index.js';
import { add, countOf, firmwareRunsAt, fmt, listText, unanswered, unique, type ChainOnce, type Ctx, type PxeCodes } from './rules-context.js';

const V6_SOLICIT = 1;
const V6_RELEASE = 8;
const V6_DECLINE = 9;
const V6_INFORMATION_REQUEST = 11;

export function dhcp6Rules(ctx: Ctx, mac: string, s: Dhcp6Facts, states: readonly StepFacts[], i: number, once: ChainOnce): void {
  // EDK2 PxeBcDxe prints PXE-E16 when no server answers, and cancels the entry (PXE-E21, seen on
  // OVMF) when the answer has no boot file URL.
  const pxe: PxeCodes | undefined = s.bootClient && !s.step.userClass.includes('iPXE') && firmwareRunsAt(states, i) ? { uefi: 'PXE-E16' } : undefined;
  // A client that started over with a new transaction and got an answer was not left without a
  // server (Arista ZTP restarts its Solicit after 22 s).
  const answeredLater = laterAnsweredDhcp6(states, i);
  if (!s.answered && !answeredLater && unanswered(ctx, s.pendingSolicit)) {
    add(ctx, 'dhcp6.no-advertise', mac, s.pendingSolicit!.time, [s.pendingSolicit!.frame],
      `SOLICIT sent ${countOf(s.step.messages, 'SOLICIT')} time(s), no ADVERTISE or REPLY in ${fmt(ctx.end - s.pendingSolicit!.time)} s.`,
      undefined, undefined, pxe);
  }
  const bare = s.bootClient && s.step.bootfileUrl === null ? bareAnswer(s) : null;
  if (bare && !(s.cutAnswers.length > 0 && transferFollows(states, i))) {
    add(ctx, 'dhcp6.no-bootfile-url', mac, s.step.start, [bare.frame],
      `Network-boot DHCPv6 client (arch ${s.step.arch ?? '?'}${s.step.vendorClass ? `, ${s.step.vendorClass}` : ''}) got ${bare.reply ? 'a REPLY' : 'an ADVERTISE'} without option 59 (boot file URL).`,
      undefined, undefined, pxe ? { uefi: 'PXE-E21' } : undefined);
  }
  dhcp6AnswerRules(ctx, mac, s);
  const given = s.step.bootfileUrl;
  if (!once.loop && s.step.userClass.includes('iPXE') && given !== null && isIpxeBinary(given)) {
    once.loop = true;
    add(ctx, 'ipxe.chainload-loop', mac, s.step.start, [s.bootfileUrlFrame],
      `A client already running iPXE was handed the iPXE binary "${given}" again over DHCPv6 (option 59).`);
  }
  const url = s.step.bootfileUrl;
  if (!once.offerIgnored && /^HTTPClient/.test(s.step.vendorClass ?? '') && s.httpClassProblems.length > 0 && url !== null
    && !laterHttpOfUrl(states, i, url)) {
    // The firmware was given a URL and never fetched it: the answer was not an HTTP boot offer to it.
    once.offerIgnored = true;
    add(ctx, 'httpboot.offer-ignored', mac, s.step.start, s.httpClassProblems.map((p) => p.frame),
      `The UEFI HTTP boot client was offered ${url} over DHCPv6 but never fetched it: ${unique(s.httpClassProblems.map((p) => p.why)).join('; ')}. EDK2 takes a DHCPv6 answer as an HTTP boot offer only when option 16 carries "HTTPClient".`,
      'Send option 16 (vendor-class) with enterprise 343 and the text "HTTPClient" in the Advertise/Reply to HTTP boot clients (Kea: option-data vendor-class "343, 10, HTTPClient"; dnsmasq 2.90 cannot write the enterprise number of option6:16 correctly — see captures/lab-v6/README.md).');
  }
}

/** The answer that shows the client was given no boot file URL, judged from the answers the capture
 *  holds whole (a cut one may have held option 59): the chosen server's (its id in the client's
 *  Request or the Reply); with none chosen, any, unless a cut answer of another server (one the
 *  client may take) is there too. Another server's bare Advertise is an offer not taken. */
function bareAnswer(s: Dhcp6Facts): Dhcp6Facts['bareAnswers'][number] | null {
  if (s.chosenServer !== null) return s.bareAnswers.find((a) => a.server === s.chosenServer) ?? null;
  const same = (c: Dhcp6Facts['cutAnswers'][number]): boolean =>
    s.bareAnswers.some((a) => (c.server !== '' ? a.server === c.server : a.address === c.address));
  return s.cutAnswers.every(same) ? s.bareAnswers[0] ?? null : null;
}

/** A TFTP or HTTP download follows the exchange, before a DHCPv4 exchange or a reboot-sized
 *  silence: after a cut answer, it was given a file to fetch (the cut took its option 59). DHCPv6 steps on
 *  the way are the same boot's (UEFI PxeBc solicits again before it requests the offer it chose). */
function transferFollows(states: readonly StepFacts[], i: number): boolean {
  let last = states[i]!.step.start + states[i]!.step.duration;
  for (let k = i + 1; k < states.length && k <= i + 16; k++) {
    const x = states[k]!;
    if (x.kind === 'dhcp4' || x.kind === 'proxydhcp' || x.step.start - last > REBOOT_GAP_S) return false;
    if (x.kind === 'http' || (x.kind === 'tftp' && x.step.direction === 'download' && !x.step.probe)) return true;
    last = Math.max(last, x.step.start + x.step.duration);
  }
  return false;
}

function statusText(x: Dhcp6Status): string {
  const where = x.scope === 'message' ? '' : x.scope === 'ia' ? `IA ${hex8(x.iaid)}: ` : `address ${x.address}: `;
  return `${where}${x.name ?? `status ${x.code}`}${x.message ? ` ("${x.message}")` : ''}`;
}

function hex8(n: number | null): string {
  return n === null ? '?' : n.toString(16).padStart(8, '0');
}

function dhcp6AnswerRules(ctx: Ctx, mac: string, s: Dhcp6Facts): void {
  const step = s.step;
  const xid = `xid 0x${step.xid.toString(16)}`;
  if (s.failure && s.firstType !== V6_RELEASE && s.firstType !== V6_DECLINE) {
    const f = s.failure;
    // Top-level status first: it is the one clients act on.
    const list = [...f.statuses].sort((a, b) => (a.scope === 'message' ? 0 : 1) - (b.scope === 'message' ? 0 : 1));
    const retries = step.retransmissions > 0 ? `; the client sent its request again ${step.retransmissions} time(s)` : '';
    const url = step.bootfileUrl ? ` The boot file URL (${step.bootfileUrl}) came with it, but the client cannot use it without an address.` : '';
    add(ctx, 'dhcp6.status-error', mac, f.time, f.lastFrame !== f.frame ? [f.frame, f.lastFrame] : [f.frame],
      `${f.type} (${xid}) from ${f.server}: ${list.map(statusText).join(', ')}${retries}.${url}`);
  }
  if (s.firstSolicit && s.firstAdvertise && s.firstAdvertise.time - s.firstSolicit.time > ctx.th.slowAdvertise) {
    add(ctx, 'dhcp6.slow-advertise', mac, s.firstSolicit.time, [s.firstSolicit.frame, s.firstAdvertise.frame],
      `First ${step.rapidCommit ? 'Rapid-Commit REPLY' : 'ADVERTISE'} (${xid}${step.server ? ` from ${step.server}` : ''}) came ${fmt(s.firstAdvertise.time - s.firstSolicit.time)} s after the first SOLICIT (threshold ${ctx.th.slowAdvertise} s).`);
  }
}

/**
 * ipv6.boot-stall: from an attempt's first network-boot DHCPv6 Solicit or Information-request, the
 * time until a boot program arrived over IPv6 (no stall), it fell back to DHCPv4 (in the attempt,
 * or the firmware's next boot entry), or the attempt ended. One finding per attempt.
 */
export function ipv6StallRule(ctx: Ctx, d: DeviceFacts, a: AttemptFacts, steps: readonly StepFacts[]): void {
  if (d.v6First === null) return;
  const starts: { time: number; frame: number }[] = [];
  const successes: number[] = [];
  const v4: { start: number; last: number }[] = [];
  for (const s of steps) {
    // Network-boot DHCPv6 only: an operating system's DHCPv6 is not a boot attempt.
    if (s.kind === 'dhcp6' && s.bootClient && (s.firstType === V6_SOLICIT || s.firstType === V6_INFORMATION_REQUEST)) {
      starts.push({ time: s.step.start, frame: s.step.frames[0] ?? 0 });
    } else if ((s.kind === 'tftp' && !s.step.probe && s.step.complete && !s.step.error && s.step.server.includes(':'))
      || (s.kind === 'http' && s.step.ok && s.step.server.includes(':'))) {
      successes.push(s.last);
    } else if (s.kind === 'dhcp4') v4.push({ start: s.step.start, last: s.last });
  }
  if (starts.length === 0) return;
  const next = d.attempts[a.index + 1];
  if (next && (next.entry === 'pxe4' || next.entry === 'http4')) v4.push({ start: next.start, last: next.start });
  starts.sort((x, y) => x.time - y.time);
  // Each episode looks up the first success and the first fallback at or after its start by binary
  // search (a filter over all of them per episode was count² work for one device's many steps).
  successes.sort((x, y) => x - y);
  v4.sort((x, y) => x.last - y.last);
  // The earliest start of the DHCPv4 steps from k on (by last packet): min over them of
  // max(start, t) is max(that, t).
  const v4StartFrom = new Float64Array(v4.length + 1).fill(Infinity);
  for (let k = v4.length - 1; k >= 0; k--) v4StartFrom[k] = Math.min(v4StartFrom[k + 1]!, v4[k]!.start);
  let i = 0;
  while (i < starts.length) {
    const t = starts[i]!;
    const ok = successes[lowerBound(successes.length, (k) => successes[k]! >= t.time)] ?? Infinity;
    const from = v4StartFrom[lowerBound(v4.length, (k) => v4[k]!.last >= t.time)]!;
    const fb = from === Infinity ? Infinity : Math.max(from, t.time);
    if (ok <= fb && ok !== Infinity) {
      // Booted over IPv6: the next stage (if any) starts a new episode.
      while (i < starts.length && starts[i]!.time <= ok) i++;
      continue;
    }
    if (fb !== Infinity) {
      if (fb - t.time > ctx.th.ipv6Stall) {
        add(ctx, 'ipv6.boot-stall', d.key, t.time, [t.frame],
          `The client spent ${fmt(fb - t.time)} s on IPv6 (from its first SOLICIT) without a boot program before falling back to DHCPv4 (threshold ${ctx.th.ipv6Stall} s).`);
        return;
      }
      while (i < starts.length && starts[i]!.time <= fb) i++;
      continue;
    }
    if (a.end - t.time > ctx.th.ipv6Stall) {
      const booted = successes.length > 0 || steps.some((s) => s.kind === 'tftp' && s.step.complete && !s.step.probe && !s.step.error);
      add(ctx, 'ipv6.boot-stall', d.key, t.time, [t.frame],
        `The client spent ${fmt(a.end - t.time)} s on IPv6 (from its first SOLICIT to its last packet of this attempt) without loading a boot program over IPv6 and without falling back to IPv4 (threshold ${ctx.th.ipv6Stall} s).`,
        undefined, booted ? 'warning' : 'error');
    }
    return;
  }
}

/** The first k in [0, n) for which `atOrAfter(k)` holds (it holds from some k on), else n. */
function lowerBound(n: number, atOrAfter: (k: number) => boolean): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (atOrAfter(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** ra.missing-managed-flag and ra.conflict, per link (VLAN tags), capture-wide. Returns the
 *  ra.missing-managed-flag finding of each link (a root cause for the boots it stopped). */
/** Captured bytes below which an RA is not read (Ethernet 14, two VLAN tags 8, IPv6 40, the RA's
 *  fixed 16): a capture cut shorter shows none of the RAs it may hold. */
const RA_READABLE = 78;

/** `snap`: the capture's snap length where it cut frames (null: none cut). */
export function routerRules(ctx: Ctx, devices: readonly DeviceFacts[], routers: readonly RouterInfo[], conflicts = true, snap: number | null = null): Map<string, Finding> {
  const raised = new Map<string, Finding>();
  const links = new Map<string, { clients: DeviceFacts[]; servers: Set<string>; answers: number[]; time: number }>();
  for (const c of devices) {
    // IPv6 boot clients: those that used DHCPv6 (a lone RS is what any IPv4 host sends too; a
    // printer's DHCPv6 is no boot).
    if (c.role !== 'boot' || c.v6First === null || !c.steps.some((s) => s.kind === 'dhcp6')) continue;
    let l = links.get(c.link);
    if (!l) links.set(c.link, (l = { clients: [], servers: new Set(), answers: [], time: c.v6First }));
    l.clients.push(c);
    if (c.v6First < l.time) l.time = c.v6First;
    for (const s of c.steps) {
      if (s.kind !== 'dhcp6' || !s.answered) continue;
      if (s.step.server) l.servers.add(s.step.server);
      if (l.answers.length < 4 && s.step.frames.length > 1) l.answers.push(s.step.frames[1]!);
    }
  }
  const byLink = new Map<string, RouterInfo[]>();
  for (const r of routers) {
    const k = linkOf(r.vlans);
    const list = byLink.get(k);
    if (list) list.push(r);
    else byLink.set(k, [r]);
  }
  for (const [link, l] of links) {
    const on = link === '' ? '' : ` on VLAN ${link}`;
    const macs = listText(l.clients.map((c) => c.key));
    const rs = byLink.get(link) ?? [];
    if (rs.length === 0) {
      // No router and no DHCPv6 server either: IPv6 boot is simply not served here
      // (dhcp6.no-advertise says so per client), not a router misconfiguration.
      if (l.servers.size === 0) continue;
      // Routers answer an RS at once but may advertise unsolicited only every few minutes: a
      // capture that stops right after the clients started proves nothing.
      if (ctx.end - l.time < ctx.th.noReply) continue;
      // Cut too short to read an RA: "none seen" is the capture's, not the network's.
      if (snap !== null && snap < RA_READABLE) continue;
      add(ctx, 'ra.missing-managed-flag', null, l.time, [],
        `No router advertisement seen${on} while IPv6 clients were active (${macs}): clients that follow RAs will not start DHCPv6.`);
      raised.set(link, ctx.out[ctx.out.length - 1]!);
      continue;
    }
    const managed = rs.some((r) => r.adverts.some((a) => a.managed));
    if (!managed && l.servers.size > 0) {
      const frames = rs.flatMap((r) => r.adverts.map((a) => a.frames[0]!)).slice(0, 8);
      add(ctx, 'ra.missing-managed-flag', null, l.time, [...l.answers, ...frames].sort((a, b) => a - b),
        `DHCPv6 server ${listText([...l.servers])} answers${on}, but every router advertisement says M=0 (${rs.map((r) => `${r.address}: ${unique(r.adverts.map(flagsText)).join(', ')}`).join('; ')}): clients that follow RAs (${macs}) will not ask for an address by DHCPv6.`);
      raised.set(link, ctx.out[ctx.out.length - 1]!);
    }
  }
  // A router's own flapping is judged once, on everything it sent (the last part of a capture).
  if (conflicts) for (const [link, rs] of byLink) raConflicts(ctx, link, rs);
  return raised;
}

function raConflicts(ctx: Ctx, link: string, rs: RouterInfo[]): void {
  const on = link === '' ? '' : ` on VLAN ${link}`;
  for (const r of rs) {
    const flags = unique(r.adverts.map(flagsText));
    if (flags.length > 1) {
      const a = r.adverts[0]!;
      const b = r.adverts.find((x) => flagsText(x) !== flagsText(a))!;
      add(ctx, 'ra.conflict', null, b.first, [a.frames[0]!, b.frames[0]!],
        `Router ${r.address}${r.mac ? ` (${r.mac})` : ''} flips its flags${on} (RA flapping): ${flags.join(' ↔ ')} (${r.adverts.map((x) => `${flagsText(x)} ×${x.count}`).join(', ')}).`);
    }
  }
  let n = 0;
  for (let i = 0; i < rs.length && n < 4; i++) {
    for (let j = i + 1; j < rs.length && n < 4; j++) {
      const a = rs[i]!, b = rs[j]!;
      const la = a.adverts[a.adverts.length - 1]!, lb = b.adverts[b.adverts.length - 1]!;
      const diffs: string[] = [];
      if (flagsText(la) !== flagsText(lb)) diffs.push(`${flagsText(la)} vs ${flagsText(lb)}`);
      const pa = prefixSet(la).join(', ') || 'no prefix', pb = prefixSet(lb).join(', ') || 'no prefix';
      if (pa !== pb) diffs.push(`prefixes ${pa} vs ${pb}`);
      if (diffs.length === 0) continue;
      n++;
      add(ctx, 'ra.conflict', null, Math.max(la.first, lb.first), [la.frames[0]!, lb.frames[0]!],
        `Routers ${a.address}${a.mac ? ` (${a.mac})` : ''} and ${b.address}${b.mac ? ` (${b.mac})` : ''} advertise differently${on}: ${diffs.join('; ')}.`);
    }
  }
}
