/**
 * Finding rules: run once over the finished chains (the builder's per-step facts), each rule
 * naming a catalogue code. Also decides `timeToBootProgram` / `booted` per chain and the summary.
 */
import type { WireIssue } from '../wire/issues.js';
import type { ChainState, Dhcp4State, Dhcp6State, TftpState } from '../flow/state.js';
import type { AnalysisSummary, AnalysisThresholds, BootChain, Dhcp6Status, Finding, RouterInfo } from '../flow/types.js';
import { flagsText, linkOf, prefixSet } from '../flow/routers.js';
import {
  baseName, isBiosArch, isBiosProgram, isEfiProgram, isIpxeBinary, isUefiArch, looksLikeBootProgram, phoneVendor,
} from '../flow/classify.js';
import { findingDef, type FindingCode, type Severity } from './catalogue.js';

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

export interface CaptureInfo {
  first: number | null;
  last: number | null;
  truncated: boolean;
  captureWarnings: WireIssue[];
  strayMalformed: { frames: number[]; count: number; time: number; what: string[] } | null;
  /** Chain key → ICMP unreachables answering that client's datagrams. */
  unreachable?: ReadonlyMap<string, readonly UnreachableFact[]>;
  /** Routers seen advertising (for the ra.* rules). */
  routers?: readonly RouterInfo[];
}

interface Ctx {
  out: Finding[];
  end: number;
  th: AnalysisThresholds;
  /** Frames of every ICMP error of `unreachable`: a TFTP step failed by one is reported by
   *  net.port-unreachable, not tftp.error. */
  icmpFrames: ReadonlySet<number>;
}

function add(ctx: Ctx, code: FindingCode, client: string | null, time: number, frames: number[], message: string, hint?: string, severity?: Severity): void {
  const def = findingDef(code);
  ctx.out.push({ code, severity: severity ?? def.severity, client, frames, message, hint: hint ?? def.hint, time });
}

/** An unanswered request is a failure only if the capture went on for `noReply` seconds after it. */
function unanswered(ctx: Ctx, sent: { time: number } | null): boolean {
  return sent !== null && ctx.end - sent.time >= ctx.th.noReply;
}

const fmt = (n: number): string => (Math.round(n * 1000) / 1000).toString();

export function evaluateFindings(chains: ChainState[], cap: CaptureInfo, th: AnalysisThresholds): Finding[] {
  const icmpFrames = new Set<number>();
  for (const facts of cap.unreachable?.values() ?? []) for (const u of facts) icmpFrames.add(u.icmpFrame);
  const ctx: Ctx = { out: [], end: cap.last ?? 0, th, icmpFrames };
  if (cap.truncated) {
    const w = cap.captureWarnings.find((i) => i.kind === 'truncated') ?? cap.captureWarnings[0];
    add(ctx, 'capture.truncated', null, cap.last ?? 0, [], `The capture file is truncated${w ? ` (${w.message})` : ''}; the packets before it were analyzed.`);
  }
  if (cap.strayMalformed) {
    const m = cap.strayMalformed;
    add(ctx, 'decode.malformed', null, m.time, m.frames, `${m.count} frame(s) could not be fully decoded: ${m.what.join('; ')}`);
  }
  for (const c of chains) {
    const start = ctx.out.length;
    unreachableRule(ctx, c.key, cap.unreachable?.get(c.key));
    chainRules(ctx, c);
    ipv6StallRule(ctx, c);
    const errors = ctx.out.slice(start).some((f) => f.severity === 'error');
    bootTiming(c, errors);
  }
  routerRules(ctx, chains, cap.routers ?? []);
  ctx.out.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return ctx.out;
}

function chainRules(ctx: Ctx, c: ChainState): void {
  const mac = c.key;
  if (c.malformed) {
    add(ctx, 'decode.malformed', mac, c.malformedTime, c.malformed.toArray(),
      `${c.malformed.count} frame(s) of this client could not be fully decoded: ${[...(c.malformedWhat ?? [])].join('; ')}`);
  }
  const fetches = new Map<string, { count: number; frames: number[]; time: number }>();
  const ignoredOptions = new Set<string>();
  let multipleServersDone = false;
  let offerIgnoredDone = false;
  let loopDone = false;
  const states = c.states;
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    switch (s.kind) {
      case 'dhcp4': {
        const step = s.step;
        const real = step.offers.filter((o) => !o.proxy);
        const proxies = step.offers.filter((o) => o.proxy);
        if (s.firstDiscover !== null && step.offers.length === 0 && !s.ack && unanswered(ctx, { time: s.firstDiscover })) {
          const text = `DISCOVER (xid 0x${step.xid.toString(16)}) sent ${countOf(step.messages, 'DISCOVER')} time(s), no OFFER in ${fmt(ctx.end - s.firstDiscover)} s.`;
          // On an IPv6-only segment firmware and iPXE try DHCPv4 first (or alongside) and go on over
          // DHCPv6: the wait is a delay to point at, not the reason the boot failed.
          const leased = states.filter((x) => x.kind === 'dhcp6' && x.step.ok && x.step.leases.length > 0);
          const v6 = leased.find((x) => x.step.start >= s.firstDiscover!) ?? leased[leased.length - 1];
          if (v6 === undefined) add(ctx, 'dhcp.no-offer', mac, s.firstDiscover, step.frames.slice(0, 8), text);
          else {
            const dt = v6.step.start - s.firstDiscover;
            const how = dt >= 0 ? `The client went on over DHCPv6 ${fmt(dt)} s later` : `The client already had an IPv6 address by DHCPv6 (${fmt(-dt)} s before) and waited for DHCPv4 anyway`;
            add(ctx, 'dhcp.no-offer', mac, s.firstDiscover, step.frames.slice(0, 8),
              `${text} ${how}: the DHCPv4 attempt only cost time.`,
              'No DHCPv4 server is expected on an IPv6-only segment: to save the wait, disable IPv4 network boot in the firmware (UEFI: IPv4 PXE/HTTP support) or, for iPXE, configure only IPv6 in its embedded script (ifconf -c ipv6).',
              'warning');
          }
        }
        if (real.length === 0 && proxies.length > 0 && !s.ack && s.firstDiscover !== null && unanswered(ctx, { time: s.firstDiscover })) {
          add(ctx, 'dhcp.no-address-offer', mac, s.firstDiscover, proxies.map((o) => o.frame),
            `Only proxyDHCP offers (from ${unique(proxies.map((o) => o.server)).join(', ')}) reached the client; no server offered an address.`);
        }
        const servers = unique(real.map((o) => o.server));
        if (servers.length > 1 && !multipleServersDone) {
          multipleServersDone = true;
          add(ctx, 'dhcp.multiple-servers', mac, step.start, real.map((o) => o.frame),
            `${servers.length} DHCP servers offered an address: ${real.map((o) => `${o.server} (${o.yiaddr})`).join(', ')}.`);
        }
        if (s.firstOffer !== null && s.firstDiscover !== null && s.firstOffer - s.firstDiscover > ctx.th.slowOffer) {
          const first = step.offers.reduce((a, o) => (o.delay < a.delay ? o : a));
          add(ctx, 'dhcp.slow-offer', mac, s.firstDiscover, [s.discoverFrame, first.frame],
            `First OFFER (from ${first.server}) came ${fmt(s.firstOffer - s.firstDiscover)} s after the first DISCOVER (threshold ${ctx.th.slowOffer} s).`);
        }
        if (s.nak) {
          add(ctx, 'dhcp.nak', mac, s.nak.time, [s.nak.frame],
            `Server ${s.nak.server} answered REQUEST (xid 0x${step.xid.toString(16)}) with NAK.`);
        }
        if (unanswered(ctx, s.pendingRequest)) {
          add(ctx, 'dhcp.no-ack', mac, s.pendingRequest!.time, [s.pendingRequest!.frame],
            `REQUEST (xid 0x${step.xid.toString(16)}${step.server ? ` to ${step.server}` : ''}) got neither ACK nor NAK in ${fmt(ctx.end - s.pendingRequest!.time)} s.`);
        }
        if (step.stage === 'httpboot' && !offerIgnoredDone && step.offers.length > 0 && !s.requestSeen
          && (s.discoversAfterOffer > 0 || laterDhcp4(states, i))) {
          const why: string[] = [];
          const bad = step.offers.filter((o, k) => {
            const noVc = !(s.offerVendorClass[k]?.startsWith('HTTPClient') ?? false);
            const noUrl = !/^https?:\/\//i.test(o.bootfile ?? '');
            if (noVc || noUrl) {
              const r: string[] = [];
              if (noVc) r.push('no option 60 "HTTPClient"');
              if (noUrl) r.push(o.bootfile ? `boot file "${o.bootfile}" is not a URL` : 'no boot file URL');
              why.push(`${o.server}: ${r.join(', ')}`);
            }
            return noVc || noUrl;
          });
          if (bad.length > 0) {
            offerIgnoredDone = true;
            add(ctx, 'httpboot.offer-ignored', mac, step.start, bad.map((o) => o.frame),
              `The HTTP boot client kept discovering: ${why.join('; ')}.`);
          }
        }
        if (s.ack && step.stage === 'firmware' && step.bootfile === null && !bootfileLater(states, i)
          && !proxyPendingLater(ctx, states, i)) {
          add(ctx, 'pxe.no-bootfile', mac, s.ack.time, [s.ack.frame],
            `PXE client got address ${step.yiaddr ?? '?'} from ${step.server ?? '?'} but no boot file name from any server${proxies.length ? ' (proxy offers included)' : ''}.`);
        }
        if (!s.ack && step.stage === 'firmware' && real.length > 0 && proxies.length === 0 && !s.requestSeen
          && !step.offers.some((o) => o.bootfile) && (s.discoversAfterOffer > 0 || unanswered(ctx, { time: s.firstOffer! }))) {
          // EDK2 / PXE ROMs ignore offers without boot information and keep discovering (PXE-E16).
          add(ctx, 'pxe.no-bootfile', mac, s.firstOffer!, real.map((o) => o.frame),
            `PXE client ignored ${real.length} address offer(s) from ${unique(real.map((o) => o.server)).join(', ')}: none carried a boot file name, and it kept discovering (${countOf(step.messages, 'DISCOVER')} DISCOVERs).`);
        }
        archRule(ctx, mac, step.arch, step.bootfile, s.ack?.frame ?? step.frames[0] ?? 0, s.ack?.time ?? step.start);
        if (step.stage === 'ipxe' && step.bootfile && isIpxeBinary(step.bootfile) && s.ack && !loopDone) {
          loopDone = true;
          add(ctx, 'ipxe.chainload-loop', mac, s.ack.time, [s.ack.frame],
            `A client already running iPXE was handed the iPXE binary "${step.bootfile}" again.`);
        }
        if (step.stage === 'phone' && s.ack) phoneRule(ctx, mac, s);
        break;
      }
      case 'proxydhcp': {
        if (unanswered(ctx, s.pendingRequest)) {
          add(ctx, 'proxydhcp.no-reply', mac, s.pendingRequest!.time, [s.pendingRequest!.frame],
            `REQUEST to ${s.step.server ?? '?'}:4011 (xid 0x${s.step.xid.toString(16)}) got no answer in ${fmt(ctx.end - s.pendingRequest!.time)} s.`);
        }
        if (s.step.bootfile) {
          const arch = nearestArch(states, i);
          archRule(ctx, mac, arch, s.step.bootfile, s.step.frames[s.step.frames.length - 1] ?? 0, s.last);
        }
        break;
      }
      case 'dhcp6': {
        if (!s.answered && unanswered(ctx, s.pendingSolicit)) {
          add(ctx, 'dhcp6.no-advertise', mac, s.pendingSolicit!.time, [s.pendingSolicit!.frame],
            `SOLICIT sent ${countOf(s.step.messages, 'SOLICIT')} time(s), no ADVERTISE or REPLY in ${fmt(ctx.end - s.pendingSolicit!.time)} s.`);
        }
        if (s.answered && s.bootClient && s.step.bootfileUrl === null) {
          add(ctx, 'dhcp6.no-bootfile-url', mac, s.step.start, [s.answerFrame],
            `Network-boot DHCPv6 client (arch ${s.step.arch ?? '?'}${s.step.vendorClass ? `, ${s.step.vendorClass}` : ''}) got ${s.replied ? 'a REPLY' : 'an ADVERTISE'} without option 59 (boot file URL).`);
        }
        dhcp6Rules(ctx, mac, s);
        const url = s.step.bootfileUrl;
        if (!offerIgnoredDone && /^HTTPClient/.test(s.step.vendorClass ?? '') && s.httpClassProblems.length > 0 && url !== null
          && !states.slice(i + 1).some((x) => x.kind === 'http' && x.step.url === url)) {
          // The firmware was given a URL and never fetched it: the answer was not an HTTP boot offer to it.
          offerIgnoredDone = true;
          add(ctx, 'httpboot.offer-ignored', mac, s.step.start, s.httpClassProblems.map((p) => p.frame),
            `The UEFI HTTP boot client was offered ${url} over DHCPv6 but never fetched it: ${unique(s.httpClassProblems.map((p) => p.why)).join('; ')}. EDK2 takes a DHCPv6 answer as an HTTP boot offer only when option 16 carries "HTTPClient".`,
            'Send option 16 (vendor-class) with enterprise 343 and the text "HTTPClient" in the Advertise/Reply to HTTP boot clients (Kea: option-data vendor-class "343, 10, HTTPClient"; dnsmasq 2.90 cannot write the enterprise number of option6:16 correctly — see captures/lab-v6/README.md).');
        }
        break;
      }
      case 'ra':
        break;
      case 'tftp':
        tftpRules(ctx, mac, s, ignoredOptions, states, i);
        if (!s.step.probe && s.serverAnswered) countFetch(fetches, s.step.file, s.requestFrame, s.step.start);
        break;
      case 'http':
        if (s.step.status !== null && s.step.status >= 400) {
          add(ctx, 'http.error', mac, s.responseTime ?? s.step.start, [s.requestFrame, s.responseFrame],
            `${s.step.method} ${s.step.url} → HTTP ${s.step.status}.`);
        } else if (!s.responded && unanswered(ctx, { time: s.step.start })) {
          add(ctx, 'http.error', mac, s.step.start, [s.requestFrame],
            `${s.step.method} ${s.step.url} got no response in ${fmt(ctx.end - s.step.start)} s.`);
        }
        if (s.responded) countFetch(fetches, s.step.url, s.requestFrame, s.step.start);
        break;
    }
  }
  for (const [file, f] of fetches) {
    if (loopDone || f.count < ctx.th.loopCount || !looksLikeBootProgram(file)) continue;
    loopDone = true;
    add(ctx, 'ipxe.chainload-loop', mac, f.time, f.frames,
      `The boot program "${file}" was fetched ${f.count} times (loop threshold ${ctx.th.loopCount}).`);
  }
}

function tftpRules(ctx: Ctx, mac: string, s: TftpState, ignored: Set<string>, states: ChainState['states'], i: number): void {
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

const V6_RELEASE = 8;
const V6_DECLINE = 9;

function statusText(x: Dhcp6Status): string {
  const where = x.scope === 'message' ? '' : x.scope === 'ia' ? `IA ${hex8(x.iaid)}: ` : `address ${x.address}: `;
  return `${where}${x.name ?? `status ${x.code}`}${x.message ? ` ("${x.message}")` : ''}`;
}

function hex8(n: number | null): string {
  return n === null ? '?' : n.toString(16).padStart(8, '0');
}

function dhcp6Rules(ctx: Ctx, mac: string, s: Dhcp6State): void {
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

const V6_SOLICIT = 1;
const V6_INFORMATION_REQUEST = 11;

/**
 * ipv6.boot-stall: from a client's first network-boot DHCPv6 Solicit or Information-request, the
 * time until a boot program arrived over IPv6 (no stall), it fell back to DHCPv4, or its chain
 * ended. One finding per chain.
 */
function ipv6StallRule(ctx: Ctx, c: ChainState): void {
  if (c.v6First === null) return;
  const starts: { time: number; frame: number }[] = [];
  const successes: number[] = [];
  const v4: { start: number; last: number }[] = [];
  for (const s of c.states) {
    // Network-boot DHCPv6 only: an operating system's DHCPv6 after booting is not a boot attempt.
    if (s.kind === 'dhcp6' && s.bootClient && (s.firstType === V6_SOLICIT || s.firstType === V6_INFORMATION_REQUEST)) {
      starts.push({ time: s.step.start, frame: s.step.frames[0] ?? 0 });
    } else if ((s.kind === 'tftp' && !s.step.probe && s.step.complete && !s.step.error && s.step.server.includes(':'))
      || (s.kind === 'http' && s.step.ok && s.step.server.includes(':'))) {
      successes.push(s.last);
    } else if (s.kind === 'dhcp4') v4.push({ start: s.step.start, last: s.last });
  }
  starts.sort((a, b) => a.time - b.time);
  let i = 0;
  while (i < starts.length) {
    const t = starts[i]!;
    const ok = successes.filter((x) => x >= t.time).reduce((a, x) => Math.min(a, x), Infinity);
    const fb = v4.filter((x) => x.last >= t.time).reduce((a, x) => Math.min(a, Math.max(x.start, t.time)), Infinity);
    if (ok <= fb && ok !== Infinity) {
      // Booted over IPv6: the next stage (if any) starts a new episode.
      while (i < starts.length && starts[i]!.time <= ok) i++;
      continue;
    }
    if (fb !== Infinity) {
      if (fb - t.time > ctx.th.ipv6Stall) {
        add(ctx, 'ipv6.boot-stall', c.key, t.time, [t.frame],
          `The client spent ${fmt(fb - t.time)} s on IPv6 (from its first SOLICIT) without a boot program before falling back to DHCPv4 (threshold ${ctx.th.ipv6Stall} s).`);
        return;
      }
      while (i < starts.length && starts[i]!.time <= fb) i++;
      continue;
    }
    if (c.last - t.time > ctx.th.ipv6Stall) {
      const booted = successes.length > 0 || c.states.some((s) => s.kind === 'tftp' && s.step.complete && !s.step.probe && !s.step.error);
      add(ctx, 'ipv6.boot-stall', c.key, t.time, [t.frame],
        `The client spent ${fmt(c.last - t.time)} s on IPv6 (from its first SOLICIT to its last packet) without loading a boot program over IPv6 and without falling back to IPv4 (threshold ${ctx.th.ipv6Stall} s).`,
        undefined, booted ? 'warning' : 'error');
    }
    return;
  }
}

/** ra.missing-managed-flag and ra.conflict, per link (VLAN tags), capture-wide. */
function routerRules(ctx: Ctx, chains: ChainState[], routers: readonly RouterInfo[]): void {
  const links = new Map<string, { clients: ChainState[]; servers: Set<string>; answers: number[]; time: number }>();
  for (const c of chains) {
    // IPv6 boot clients: those that used DHCPv6 (a lone RS is what any IPv4 host sends too).
    if (c.v6First === null || !c.states.some((s) => s.kind === 'dhcp6')) continue;
    let l = links.get(c.link);
    if (!l) links.set(c.link, (l = { clients: [], servers: new Set(), answers: [], time: c.v6First }));
    l.clients.push(c);
    if (c.v6First < l.time) l.time = c.v6First;
    for (const s of c.states) {
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
      // Routers answer an RS at once but may advertise unsolicited only every few minutes: a
      // capture that stops right after the clients started proves nothing.
      if (ctx.end - l.time < ctx.th.noReply) continue;
      add(ctx, 'ra.missing-managed-flag', null, l.time, [],
        `No router advertisement seen${on} while IPv6 clients were active (${macs}): clients that follow RAs will not start DHCPv6.`);
      continue;
    }
    const managed = rs.some((r) => r.adverts.some((a) => a.managed));
    if (!managed && l.servers.size > 0) {
      const frames = rs.flatMap((r) => r.adverts.map((a) => a.frames[0]!)).slice(0, 8);
      add(ctx, 'ra.missing-managed-flag', null, l.time, [...l.answers, ...frames].sort((a, b) => a - b),
        `DHCPv6 server ${listText([...l.servers])} answers${on}, but every router advertisement says M=0 (${rs.map((r) => `${r.address}: ${unique(r.adverts.map(flagsText)).join(', ')}`).join('; ')}): clients that follow RAs (${macs}) will not ask for an address by DHCPv6.`);
    }
  }
  for (const [link, rs] of byLink) raConflicts(ctx, link, rs);
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

function listText(xs: string[]): string {
  return xs.length > 4 ? `${xs.slice(0, 4).join(', ')} and ${xs.length - 4} more` : xs.join(', ');
}

const UNREACHABLE_HINTS: Partial<Record<UnreachableFact['service'], string>> = {
  proxyDHCP: 'Nothing listens on UDP 4011 at that address: start the proxyDHCP/boot service there (dnsmasq dhcp-range=...,proxy, WDS, FOG) or stop pointing clients at it, and check firewalls.',
  DHCP: 'Nothing listens on UDP 67 at that address: check that the DHCP server runs there (or that the relay helper address points at the right host), and firewalls.',
  DHCPv6: 'Nothing listens on UDP 547 at that address: check that the DHCPv6 server runs there, and firewalls.',
};

/** One finding per (server, port, reason, reporter) of a client, naming the request it refused. */
function unreachableRule(ctx: Ctx, mac: string, facts: readonly UnreachableFact[] | undefined): void {
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

function archRule(ctx: Ctx, mac: string, arch: number | null, bootfile: string | null, frame: number, time: number): void {
  if (arch === null || !bootfile) return;
  if (isUefiArch(arch) && isBiosProgram(bootfile)) {
    add(ctx, 'pxe.arch-mismatch', mac, time, [frame], `BIOS boot program "${bootfile}" handed to a UEFI client (arch ${arch}).`);
  } else if (isBiosArch(arch) && isEfiProgram(bootfile)) {
    add(ctx, 'pxe.arch-mismatch', mac, time, [frame], `UEFI boot program "${bootfile}" handed to a BIOS client (arch ${arch}).`);
  }
}

/** Which provisioning options each phone vendor reads. */
const PHONE_OPTIONS: Record<string, number[]> = {
  cisco: [150, 66],
  polycom: [160, 66, 43],
  yealink: [66, 43],
  avaya: [242, 66],
  mitel: [43, 125, 66],
  other: [150, 66, 160, 43, 242],
};

function phoneRule(ctx: Ctx, mac: string, s: Dhcp4State): void {
  const vendor = phoneVendor(s.step.vendorClass) ?? 'other';
  const need = PHONE_OPTIONS[vendor]!;
  if (need.some((o) => s.step.ackOptions.includes(o))) return;
  add(ctx, 'phone.no-provisioning-server', mac, s.ack!.time, [s.ack!.frame],
    `The ACK to phone "${s.step.vendorClass}" has none of options ${need.join('/')} (it has ${s.step.ackOptions.join(', ') || 'none'}).`,
    vendor === 'cisco' ? 'Cisco phones read the TFTP server from option 150 (list of addresses) or 66: add one for this vendor class.' : undefined);
}

// ---- helpers over a chain's steps ----

function countOf(list: string[], name: string): number {
  let n = 0;
  for (const x of list) if (x === name) n++;
  return n;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function laterDhcp4(states: ChainState['states'], i: number): boolean {
  for (let k = i + 1; k < states.length; k++) if (states[k]!.kind === 'dhcp4') return true;
  return false;
}

/** A proxyDHCP step (4011) after the DHCP step that gave a boot file. */
function bootfileLater(states: ChainState['states'], i: number): boolean {
  for (let k = i + 1; k < states.length; k++) {
    const s = states[k]!;
    if (s.kind === 'dhcp4') return false;
    if (s.kind === 'proxydhcp' && s.step.bootfile) return true;
  }
  return false;
}

/** A 4011 request after it that went unanswered: proxydhcp.no-reply covers it. */
function proxyPendingLater(ctx: Ctx, states: ChainState['states'], i: number): boolean {
  for (let k = i + 1; k < states.length; k++) {
    const s = states[k]!;
    if (s.kind === 'dhcp4') return false;
    if (s.kind === 'proxydhcp' && s.pendingRequest) return true;
  }
  return false;
}

function nearestArch(states: ChainState['states'], i: number): number | null {
  for (let k = i - 1; k >= 0; k--) {
    const s = states[k]!;
    if (s.kind === 'dhcp4' && s.step.arch !== null) return s.step.arch;
  }
  return null;
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

/** Seconds from `last` to the next step of the chain that starts after it (Infinity: none). */
function nextPacketGap(states: ChainState['states'], i: number, last: number): number {
  for (let k = i + 1; k < states.length; k++) {
    const t = states[k]!.step.start;
    if (t >= last) return t - last;
  }
  return 0;
}

function countFetch(m: Map<string, { count: number; frames: number[]; time: number }>, file: string, frame: number, time: number): void {
  const key = baseName(file) === '' ? file : file;
  const f = m.get(key);
  if (f) {
    f.count++;
    if (f.frames.length < 16) f.frames.push(frame);
  } else m.set(key, { count: 1, frames: [frame], time });
}

/** The chain's boot-program fetches: TFTP/HTTP transfers of a file a DHCP step named, or that look
 *  like a loader/kernel. Sets `timeToBootProgram` (first packet → start of the last one) and `booted`. */
function bootTiming(c: ChainState, hasError: boolean): void {
  const named = new Set<string>();
  for (const s of c.states) {
    const f = s.kind === 'dhcp4' || s.kind === 'proxydhcp' ? s.step.bootfile : s.kind === 'dhcp6' ? s.step.bootfileUrl : null;
    if (f) named.add(baseName(f));
  }
  let lastFetch: number | null = null;
  let completed = false;
  for (const s of c.states) {
    let file: string | null = null;
    let done = false;
    if (s.kind === 'tftp' && !s.step.probe) { file = s.step.file; done = s.step.complete && !s.step.error; }
    else if (s.kind === 'http') { file = s.step.url; done = s.step.ok; }
    if (file === null) continue;
    if (!named.has(baseName(file)) && !looksLikeBootProgram(file)) continue;
    lastFetch = s.step.start;
    if (done) completed = true;
  }
  c.chain.timeToBootProgram = lastFetch === null ? null : lastFetch - c.first;
  c.chain.booted = completed && !hasError;
}

export function summarize(clients: BootChain[], findings: Finding[], first: number | null, last: number | null): AnalysisSummary {
  const failedClients = new Set<string>();
  let errors = 0, warnings = 0, infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') { errors++; if (f.client) failedClients.add(f.client); }
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  const times = clients.map((c) => c.timeToBootProgram).filter((t): t is number => t !== null).sort((a, b) => a - b);
  return {
    clients: clients.length,
    booted: clients.filter((c) => c.booted).length,
    failed: failedClients.size,
    errors, warnings, infos,
    medianTimeToBootProgram: quantile(times, 0.5),
    p95TimeToBootProgram: quantile(times, 0.95),
    firstPacket: first,
    lastPacket: last,
  };
}

/** Nearest-rank quantile of sorted values (null when empty). */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  if (q === 0.5 && sorted.length % 2 === 0) return (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
