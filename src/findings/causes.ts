/**
 * Root causes and consequences. Each boot attempt that did not reach its goal gets one root cause:
 * the first finding that explains it (a fatal one, else its first error; when nothing on the wire
 * failed, the link's router-advertisement problem, its first warning, or `boot.stopped`). What
 * the root cause led to is linked to it (`causedBy`) with its severity lowered: later findings of
 * the same attempt, and the failures of the boot entries the firmware fell through to next in the
 * same power-on (each power-on of a machine that reboots has its own root cause). A
 * device's root cause is that of its first failed attempt, passing over entries no server
 * answered at all (PXE over IPv4 on an IPv6-only segment) when a later one got further.
 */
import type { ArpAskFacts, AttemptEntry, AttemptFacts, DeviceFacts, FlowFacts, StepFacts } from '../flow/facts.js';
import { REBOOT_GAP_S, entryText } from '../flow/attempts.js';
import { ARP_RETRIES } from '../flow/arp.js';
import { ipv6FromString, ipv6ToString } from '../wire/bytes.js';
import { BOOT_STAGES } from '../flow/progress.js';
import { baseName, isIpxeBinary, looksLikeBootProgram, looksLikeKernel } from '../flow/classify.js';
import type { FindingCode } from './catalogue.js';
import { identityCut, type BlindSpot } from './blind.js';
import { add, fmt, type Ctx } from './rules-context.js';
import type { AnalysisThresholds, Finding } from './types.js';

/** Findings that fail a boot even after the boot program arrived. */
const FATAL: ReadonlySet<FindingCode> = new Set<FindingCode>(['pxe.arch-mismatch', 'ipxe.chainload-loop']);
/** Findings that stopped the attempt before anything else could go wrong: its root before any other error. */
const STOPPERS: ReadonlySet<FindingCode> = new Set<FindingCode>(['net.arp-unanswered']);
/** Findings about things beside a failure, never its consequence. */
const INDEPENDENT: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'dhcp.multiple-servers', 'dhcp.slow-offer', 'dhcp6.slow-advertise', 'tftp.option-ignored', 'tftp.tsize-probe',
  'tftp.retransmit', 'tftp.no-new-tid', 'decode.malformed', 'capture.truncated',
]);
/** Findings that describe how a failure looked (time lost), not what caused it: never chosen as
 *  the root cause while a cause is at hand, and linked to it whenever they were raised. */
const SYMPTOMS: ReadonlySet<FindingCode> = new Set<FindingCode>(['ipv6.boot-stall']);
/** Path-MTU findings: the cause of the transfer timeout they come with. */
const MTU_CAUSES: ReadonlySet<FindingCode> = new Set<FindingCode>(['net.fragments-lost', 'net.packet-too-big', 'net.pmtu-blackhole']);
/** An attempt no server answered at all: that boot entry is not served on this network. */
const NO_SERVER: ReadonlySet<FindingCode> = new Set<FindingCode>(['dhcp.no-offer', 'dhcp6.no-advertise']);

/** Device key → attempt index → id of its root-cause finding. */
export type RootCauses = Map<string, Map<number, string>>;

export function linkCauses(
  facts: FlowFacts, findings: Finding[], th: AnalysisThresholds, raByLink: ReadonlyMap<string, Finding>, idBase = 0,
  blindSpots: ReadonlyMap<string, BlindSpot> = new Map(),
): RootCauses {
  const roots: RootCauses = new Map();
  const anyTransfer = facts.capture.transfers ?? facts.devices.some((d) => d.steps.some((s) => s.kind === 'tftp' || s.kind === 'http'));
  const transferServers = serversSeen(facts);
  const byDevice = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.client === null) continue;
    const list = byDevice.get(f.client);
    if (list) list.push(f);
    else byDevice.set(f.client, [f]);
  }
  const ctx: Ctx = { out: [], end: facts.capture.last ?? 0, th, device: null, attempt: null, firmware: null };
  for (const d of facts.devices) {
    if (d.role !== 'boot') continue;
    ctx.device = d;
    const own = byDevice.get(d.key) ?? [];
    const deviceRoots = new Map<number, string>();
    let failed: Failed[] = [];
    const boots = d.attempts.filter((a) => a.entry !== 'os');
    let powerOn: Map<number, number> | null = null;
    // Per power-on: its boot went over IPv6 only (computed when a router advertisement asks).
    let overIpv6Only: Map<number, boolean> | null = null;
    // The router advertisement explains a failure only of a boot over IPv6 that no DHCPv4 server
    // answered: on a dual-stack link a client served by DHCPv4 does not need DHCPv6.
    const raFor = (a: AttemptFacts): Finding | null => {
      if (!raByLink.has(d.link)) return null;
      powerOn ??= powerOns(d, boots);
      if (overIpv6Only === null) {
        const members = new Map<number, AttemptFacts[]>();
        for (const b of boots) {
          const k = powerOn.get(b.index)!;
          const list = members.get(k);
          if (list) list.push(b);
          else members.set(k, [b]);
        }
        overIpv6Only = new Map([...members].map(([k, list]) => [k, bootOverIpv6Only(d, list)]));
      }
      return overIpv6Only.get(powerOn.get(a.index)!) === true ? raRoot(d, a, raByLink) : null;
    };
    const unjudged = new Set<number>();
    // Whether the capture can show this device fetch its configuration: traffic to or from a server
    // its DHCP named (not transfers of other devices to other servers).
    const showsFetch = fetchVisible(d, transferServers, anyTransfer);
    const unseenReboots: AttemptFacts[] = [];
    for (const a of boots) {
      const fs = own.filter((f) => f.attempt === a.index);
      const fatal = fs.find((f) => FATAL.has(f.code) && f.severity === 'error');
      if (a.loaded && !fatal) {
        // It booted: what went wrong on the way cost time but did not stop it.
        for (const f of fs) if (f.severity === 'error') f.severity = 'warning';
        continue;
      }
      // A transfer's timeout is placed where it last moved on, before the path-MTU evidence of
      // why (the big packets sent again after it): that evidence is its cause.
      const mtuCause = fs.some((f) => MTU_CAUSES.has(f.code) && f.severity === 'error');
      const symptom = (f: Finding): boolean => SYMPTOMS.has(f.code) || (mtuCause && f.code === 'tftp.timeout');
      let root = fatal ?? fs.find((f) => STOPPERS.has(f.code) && f.severity === 'error') ?? fs.find((f) => f.severity === 'error' && !symptom(f)) ?? fs.find((f) => f.severity === 'error') ?? null;
      // iPXE got no DHCPv4 offer and an RA told it not to use the DHCPv6 server this link has: the
      // RA is why it had no address, as when the capture shows the firmware's lease that makes the
      // DHCPv4 wait a mere delay (a late start hides it). iPXE sends its DISCOVER and its RS
      // together: the no-offer is the RA's consequence even when it began just before the RA came.
      const noOffer = root !== null && root.code === 'dhcp.no-offer' && ipxeRan(a) ? root : null;
      if (noOffer !== null) root = raFor(a) ?? root;
      if (root === null) {
        // Nothing on the wire failed and the capture could not show what happened: not judged.
        if (blindSpots.has(d.key)) { if (fetchUnderWay(d, a, ctx.end, th.stall)) unjudged.add(a.index); continue; }
        // The device moving on to its next attempt proves this one stopped; silence only does
        // when the capture can show this device's fetch (its own transfers, or traffic of a server
        // its DHCP named): one filtered to DHCP, or holding only other devices' transfers to other
        // servers, says nothing of the rest. Silent: nothing of its own since (an OS stretch too).
        // Nor does a reboot after minutes in such a capture, once a server answered the attempt:
        // the device may have fetched what it needed off the capture and run until then (a phone
        // provisioned, then reset). Unanswered DHCP is in the capture either way.
        const next = boots.find((b) => b.index > a.index);
        const answeredReboot = next !== undefined && !showsFetch && next.start - a.end > REBOOT_GAP_S && gotAnswers(d, a);
        if (answeredReboot) unseenReboots.push(a);
        const later = next !== undefined && !answeredReboot;
        const silent = showsFetch && (facts.capture.last ?? a.end) - Math.max(a.end, d.attempts[d.attempts.length - 1]!.end) >= th.stall;
        if (!later && !silent) { if (fetchUnderWay(d, a, ctx.end, th.stall)) unjudged.add(a.index); continue; }
        // iPXE ran its script and the wire went quiet: a menu may be waiting for someone, or the
        // script booted from a disk or SAN; nothing on the wire says it failed.
        if (!later && a.stage === 'script') { if (fetchUnderWay(d, a, ctx.end, th.stall)) unjudged.add(a.index); continue; }
        root = raFor(a)
          ?? fs.find((f) => !INDEPENDENT.has(f.code) && f.severity === 'warning')
          ?? stoppedFinding(ctx, d, a, later ? next : null);
      }
      root.severity = 'error';
      deviceRoots.set(a.index, root.id);
      for (const f of fs) {
        if (f === root || f.causedBy !== null || INDEPENDENT.has(f.code)) continue;
        if ((f.time ?? 0) < (root.time ?? 0) && !symptom(f) && f !== noOffer) continue;
        f.causedBy = root.id;
        f.severity = 'info';
      }
      failed.push({ a, root, fs });
    }
    roots.set(d.key, deviceRoots);
    if (unseenReboots.length > 0) reprovisionedWarning(ctx, d, boots, unseenReboots);
    // A failed attempt that a boot follows with no reboot-sized silence on the way only cost time:
    // the firmware fell through its boot order (or went round it again) and got there. A power-on
    // that failed, and a boot minutes later (someone fixed the server and pressed reset), is a
    // failure of its own: it stays judged below.
    // A later entry the capture cannot judge (it ends, or its blind spot hides, how that went)
    // rescues as a boot does: the failure did not stop the client, and nothing shows the next failed.
    const rescued = rescuedByBoot(boots, (a) => own.some((f) => f.attempt === a.index && FATAL.has(f.code) && f.severity === 'error'), unjudged);
    // A cut that took the identity of the device's requests hides where one attempt ends and the
    // next begins: DHCP after a failure may be the next boot entry, and it may have worked unseen
    // (as the device's outcome: incomplete). Its last failure, with nothing after it, stands.
    // Only while the capture leaves that open: the device went on to a transfer or a connection
    // not seen failing (a TFTP request's and a SYN's ports survive any cut), or it has not been
    // quiet long. Quiet for the stall time in a capture that holds transfers, the DHCP got it nowhere.
    if (blindSpots.get(d.key) === 'capture.snaplen' && identityCut(d) && (d.exchange?.answers ?? 1) > 0) {
      const lastCut = lastIdentityCutDhcp(d);
      const wentOn = lastCut !== null && (wentOnAfter(d, lastCut.start)
        || !(anyTransfer && (facts.capture.last ?? lastCut.end) - lastCut.end >= th.stall));
      if (lastCut !== null && wentOn) for (const x of failed) if (lastCut.start > (x.root.time ?? x.a.start)) rescued.add(x.a.index);
    }
    for (const x of failed) if (rescued.has(x.a.index) && x.root.client !== null) x.root.severity = 'warning';
    failed = failed.filter((x) => !rescued.has(x.a.index));
    if (failed.length === 0) continue;
    // No server for that entry, while a later entry got past DHCP: that entry is simply not
    // served on this network (PXE over IPv4 on an IPv6-only segment).
    const unserved = (x: Failed): boolean => NO_SERVER.has(x.root.code)
      && boots.some((b) => b.index > x.a.index && gotAnswers(d, b));
    for (const x of failed) if (unserved(x) && x.root.client !== null) x.root.severity = 'warning';
    // Each power-on of the machine has its own root cause: the firmware falls through its boot
    // entries within one power-on only.
    powerOn ??= powerOns(d, boots);
    for (const group of byPowerOn(powerOn, failed)) linkFallThrough(d, group, unserved);
    linkLoopRounds(d, boots, powerOn, failed);
  }
  // Findings added here (boot.stopped) get the next ids.
  let n = idBase + findings.length;
  for (const f of ctx.out) {
    f.id = `F${++n}`;
    const key = f.client!;
    const m = roots.get(key);
    if (m && f.attempt !== null && m.get(f.attempt) === '') m.set(f.attempt, f.id);
    findings.push(f);
  }
  findings.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return roots;
}

/** The attempt's last download was still open when the capture ended: not complete, nothing
 *  refused or ended it (no TFTP ERROR or ICMP, no HTTP error status, no RST/FIN inside the body),
 *  and it moved on within `stall` of the capture's end (TFTP: a new block or ACK, not a block sent
 *  again). The client was under way on it, not retrying what failed before; a download that ended
 *  short, or stalled, is a failure. */
function fetchUnderWay(d: DeviceFacts, a: AttemptFacts, end: number, stall: number): boolean {
  let last: StepFacts | null = null;
  for (let i = a.firstStep; i <= a.lastStep; i++) {
    const s = d.steps[i]!;
    if ((s.kind === 'tftp' && s.step.direction === 'download' && !s.step.probe) || (s.kind === 'http' && s.step.method === 'GET')) last = s;
  }
  if (last === null || last.step.complete || end - (last.kind === 'tftp' ? last.progressTime : last.last) >= stall) return false;
  return fetchNotFailed(last);
}

/** A TFTP or HTTP step the capture does not show failing: no TFTP ERROR, no ICMP refusing it, no
 *  HTTP error status, no connection closed inside the body. False for any other step. */
function fetchNotFailed(s: StepFacts): boolean {
  if (s.kind === 'tftp') return s.step.error === null && s.step.unreachable === null;
  return s.kind === 'http' && !s.endedShort && (s.step.status === null || s.step.status < 400);
}

type Failed = { a: AttemptFacts; root: Finding; fs: Finding[] };

/** Indexes of the attempts a boot follows without a reboot-sized silence between any two
 *  attempts on the way (a boot: the boot program arrived and nothing fatal followed). */
function rescuedByBoot(boots: readonly AttemptFacts[], fatal: (a: AttemptFacts) => boolean, unjudged: ReadonlySet<number>): Set<number> {
  const rescued = new Set<number>();
  let bootAhead = false;
  for (let i = boots.length - 1; i >= 0; i--) {
    const a = boots[i]!;
    const next = boots[i + 1];
    if (next !== undefined && next.start - a.end > REBOOT_GAP_S) bootAhead = false;
    if ((a.loaded && !fatal(a)) || unjudged.has(a.index)) bootAhead = true;
    else if (bootAhead) rescued.add(a.index);
  }
  return rescued;
}

/** Boot entries a firmware starts from (its boot order); iPXE, transfers and phones are not. */
const FIRMWARE_ENTRIES: ReadonlySet<AttemptEntry> = new Set<AttemptEntry>(['pxe4', 'pxe6', 'http4', 'http6']);

/** Each attempt's power-on (attempt index → 0, 1, …). A power-on begins at a firmware entry after a
 *  reboot-sized silence since the previous attempt, or at a firmware entry tried again after a
 *  boot program ran (iPXE or an NBP took over since that entry's last try, then the same entry's
 *  DHCP again: the machine was reset and its firmware started over at the top of its boot order).
 *  A different entry after a boot program ran is the boot manager going on to its next Boot####
 *  (EDK2's BdsDxe BootBootOptions: a boot option that returns, as iPXE does when its autoboot
 *  fails, is followed at once by the next one): the same power-on. A firmware entry tried again
 *  within seconds with no boot program run since is the same power-on too: firmware retry loops go
 *  round their boot order again (DISCOVERs, the next NIC or IPv6, again). A capture that starts
 *  inside iPXE does not show the entry that ran it: a firmware entry after that iPXE is the boot
 *  manager's next one (iPXE exited: its autoboot failed, or a script ran `exit`, as FOG's and
 *  MAAS's "boot from local disk" do after `sanboot` fails) unless iPXE visibly handed the machine
 *  to a program that replaces it (`ipxeHandedOver`): then the machine was reset. */
function powerOns(d: DeviceFacts, boots: readonly AttemptFacts[]): Map<number, number> {
  const powerOn = new Map<number, number>();
  let n = 0;
  let prev: AttemptFacts | null = null;
  // This power-on's firmware entries, each with whether a boot program ran since its last try.
  let tried: { persona: Persona; programSince: boolean }[] = [];
  for (const a of boots) {
    const persona = FIRMWARE_ENTRIES.has(a.entry) ? personaOf(d, a) : null;
    let again = persona === null ? undefined : tried.find((t) => samePersona(t.persona, persona));
    const afterUnseenEntry = tried.length === 0 && prev !== null && ipxeRan(prev) && ipxeHandedOver(d, prev);
    if (persona !== null && prev !== null && (a.start - prev.end > REBOOT_GAP_S || again?.programSince === true || afterUnseenEntry)) {
      n++;
      tried = [];
      again = undefined;
    }
    powerOn.set(a.index, n);
    if (again !== undefined) again.programSince = false;
    else if (persona !== null) tried.push({ persona, programSince: false });
    if (bootProgramRan(a)) for (const t of tried) t.programSince = true;
    prev = a;
  }
  return powerOn;
}

/** The failed attempts grouped by power-on (attempt index → power-on, from powerOns). */
function byPowerOn(powerOn: ReadonlyMap<number, number>, failed: readonly Failed[]): Failed[][] {
  const groups = new Map<number, Failed[]>();
  for (const x of failed) {
    const k = powerOn.get(x.a.index) ?? 0;
    const g = groups.get(k);
    if (g) g.push(x);
    else groups.set(k, [x]);
  }
  return [...groups.values()];
}

/** Which boot entry of the firmware an attempt is: its kind (PXE or HTTP boot, IPv4 or IPv6) and
 *  what its first DHCP message said of the client (architecture, vendor class). */
interface Persona { entry: AttemptEntry; arch: number | null; vendorClass: string | null }

function personaOf(d: DeviceFacts, a: AttemptFacts): Persona {
  for (let i = a.firstStep; i <= a.lastStep; i++) {
    const s = d.steps[i]!;
    if (s.kind === 'dhcp4' || s.kind === 'dhcp6') return { entry: a.entry, arch: s.step.arch, vendorClass: s.step.vendorClass };
  }
  return { entry: a.entry, arch: null, vendorClass: null };
}

/** The same boot entry: the same kind, and no architecture or vendor class that differs (one the
 *  capture does not show, cut by the snap length or only answers seen, differs from nothing). */
function samePersona(p: Persona, q: Persona): boolean {
  return p.entry === q.entry
    && (p.arch === null || q.arch === null || p.arch === q.arch)
    && (p.vendorClass === null || q.vendorClass === null || p.vendorClass === q.vendorClass);
}

const STAGE_IPXE = BOOT_STAGES.indexOf('ipxe');

/** The attempt's boot program took over: it loaded, or iPXE ran. */
function bootProgramRan(a: AttemptFacts): boolean {
  return a.loaded || ipxeRan(a);
}

/** iPXE ran in the attempt: it is iPXE's own, or got to iPXE's DHCP. */
function ipxeRan(a: AttemptFacts): boolean {
  return a.entry === 'ipxe' || (a.stage !== null && BOOT_STAGES.indexOf(a.stage) >= STAGE_IPXE);
}

/** iPXE's last step in the attempt was a completed download of a program that takes the machine
 *  over from iPXE (iPXE itself again, a kernel, an NBP): a firmware entry after it means a reset.
 *  Anything else leaves iPXE able to exit back to the firmware: a script (it may end in `exit`), a
 *  fetch refused (a refused SYN makes no HTTP step: the last step is then the DHCP), cut short or
 *  unanswered, a DHCP whose fetch the capture does not show. */
function ipxeHandedOver(d: DeviceFacts, a: AttemptFacts): boolean {
  for (let i = a.lastStep; i >= a.firstStep; i--) {
    const s = d.steps[i]!;
    if (s.kind === 'dhcp4' || s.kind === 'dhcp6') return false;
    if (s.kind === 'tftp' && s.step.direction === 'download' && !s.step.probe) {
      return s.step.complete && s.step.error === null && s.step.unreachable === null && replacesIpxe(s.step.file);
    }
    if (s.kind === 'http') return s.step.ok && !s.endedShort && s.step.method !== 'HEAD' && replacesIpxe(s.step.url);
  }
  return false;
}

/** A program iPXE hands the machine to, not returning (an iPXE script or a syslinux module does;
 *  so do abortpxe.com, whose whole job is to return, and WDS's pxeboot.com when F12 is not pressed). */
function replacesIpxe(path: string): boolean {
  const name = baseName(path);
  if (/\.(ipxe|c32)$/i.test(name) || /^(abortpxe|pxeboot)\.com$/i.test(name)) return false;
  return isIpxeBinary(path) || looksLikeKernel(path) || looksLikeBootProgram(path);
}

/** The file or URL of the attempt's last transfer, null if it made none. */
function lastTarget(d: DeviceFacts, a: AttemptFacts): string | null {
  for (let i = a.lastStep; i >= a.firstStep; i--) {
    const s = d.steps[i]!;
    if (s.kind === 'tftp') return s.step.file;
    if (s.kind === 'http') return s.step.url;
  }
  return null;
}

/** Within one power-on: the main failure keeps its root cause; the entries the firmware fell
 *  through to next failed because of it. An entry tried again (a retry loop going round its boot
 *  order) failed because of it only when it failed as that entry did the first time (the same root
 *  code, file or URL): a different failure on a later round is one of its own. */
function linkFallThrough(d: DeviceFacts, failed: readonly Failed[], unserved: (x: Failed) => boolean): void {
  const main = failed.find((x) => !NO_SERVER.has(x.root.code)) ?? failed.find((x) => !unserved(x));
  if (!main) return;
  // Each entry's first failure in this power-on, to compare its later rounds with.
  const firsts: { persona: Persona; x: Failed }[] = [];
  let prev: AttemptFacts | null = null;
  for (const x of failed) {
    const persona = personaOf(d, x.a);
    const first = firsts.find((f) => samePersona(f.persona, persona))?.x;
    if (first === undefined) firsts.push({ persona, x });
    if (x === main) { prev = x.a; continue; }
    if (x.a.index < main.a.index) {
      // An entry nobody served, before the one that got further: a delay, not the failure.
      if (x.root.client !== null) x.root.severity = 'warning';
      prev = x.a;
      continue;
    }
    // The firmware fell through to its next boot entry: that failure follows from the first.
    const fellThrough = prev !== null && x.a.start - prev.end <= REBOOT_GAP_S;
    prev = x.a;
    if (!fellThrough || x.root.client === null) continue;
    // An entry that got answers and failed for a reason of its own is a root cause of its own
    // (the capture may have missed a reset between them: it started after the power-on began).
    if (!NO_SERVER.has(x.root.code) && x.root.code !== main.root.code) continue;
    if (first !== undefined && !failsAlike(d, x, first)) continue;
    for (const f of x.fs) {
      if (f.causedBy === x.root.id || f === x.root) {
        f.causedBy = main.root.id;
        f.severity = 'info';
      }
    }
  }
}

/**
 * iPXE handed itself in power-on after power-on, with no reboot-sized silence between (iPXE
 * exiting back to a firmware that starts over, or a reset seconds after each loop: a POST the
 * capture cannot tell from a retry): one chainload loop for the device, its first round's, which
 * names the rounds; the later rounds' loops are its consequences. A reboot-sized silence ends the
 * loop: what follows is judged on its own.
 */
function linkLoopRounds(d: DeviceFacts, boots: readonly AttemptFacts[], powerOn: ReadonlyMap<number, number>, failed: readonly Failed[]): void {
  let loop: { x: Failed; rounds: number; last: Failed } | null = null;
  const close = (): void => {
    if (loop === null || loop.rounds < 2) return;
    const { x, rounds, last } = loop;
    const entries = boots.filter((b) => powerOn.get(b.index) === powerOn.get(x.a.index) && b.index <= x.a.index).map((b) => entryText(b.entry));
    const every = (last.a.start - x.a.start) / (rounds - 1);
    x.root.message += ` It went round ${rounds} times (a round every ~${fmt(every)} s, never ${REBOOT_GAP_S} s of silence between): ${[...new Set(entries)].join(' → ')} → iPXE handed the iPXE binary again → the firmware from the top — one loop, not a failure per round.`;
  };
  for (const x of failed) {
    if (x.root.code !== 'ipxe.chainload-loop' || x.root.causedBy !== null || x.root.client === null || !ipxeRan(x.a)) continue;
    if (loop !== null && powerOn.get(x.a.index) !== powerOn.get(loop.last.a.index) && !rebootGapBetween(boots, loop.last.a, x.a)) {
      // The round's own loop becomes the first round's consequence; what followed from it in its
      // round (entries fallen through to after it) stays linked to it, the round that explains it.
      x.root.causedBy = loop.x.root.id;
      x.root.severity = 'info';
      loop.rounds++;
      loop.last = x;
      continue;
    }
    if (loop !== null && powerOn.get(x.a.index) === powerOn.get(loop.last.a.index)) continue;
    close();
    loop = { x, rounds: 1, last: x };
  }
  close();
}

/** A reboot-sized silence between two of the device's attempts, from `a` on to `b`. */
function rebootGapBetween(boots: readonly AttemptFacts[], a: AttemptFacts, b: AttemptFacts): boolean {
  for (let i = 0; i + 1 < boots.length; i++) {
    const x = boots[i]!;
    const y = boots[i + 1]!;
    if (x.index >= a.index && y.index <= b.index && y.start - x.end > REBOOT_GAP_S) return true;
  }
  return false;
}

/** Two rounds of one boot entry failed the same way: the same root code, the same file or URL. */
function failsAlike(d: DeviceFacts, x: Failed, y: Failed): boolean {
  return x.root.code === y.root.code && lastTarget(d, x.a) === lastTarget(d, y.a);
}

/** The device's last DHCP whose identity the cut took (which boot stage sent it is not known)
 *  that a server answered (an entry nobody answered cannot have worked unseen: the answer's
 *  chaddr survives any cut); null when it sent none. */
function lastIdentityCutDhcp(d: DeviceFacts): { start: number; end: number } | null {
  let last: { start: number; end: number } | null = null;
  for (const s of d.steps) {
    if (s.kind === 'dhcp4' && s.step.cut === 'identity' && answered(s) && (last === null || s.step.start > last.start)) {
      last = { start: s.step.start, end: s.step.start + s.step.duration };
    }
  }
  return last;
}

/** After `time` the device requested a file (TFTP, HTTP) that its server answered, or opened a
 *  connection that its peer answered (SYN-ACK) before any RST, and the capture does not show that
 *  failing. A request or a SYN never answered, or refused, is no sign the boot went on; a SYN
 *  never answered after a connection that was made does not undo it. */
function wentOnAfter(d: DeviceFacts, time: number): boolean {
  for (const s of d.steps) if ((s.kind === 'tftp' || s.kind === 'http') && s.step.start > time && fetchNotFailed(s) && fetchAnswered(s)) return true;
  const made = d.opened?.lastAnswered ?? null;
  return made !== null && made > time;
}

/** The server answered the fetch: a TFTP OACK, DATA or ACK (its port is known) or bytes moved; an
 *  HTTP response head or body bytes. */
function fetchAnswered(s: Extract<StepFacts, { kind: 'tftp' | 'http' }>): boolean {
  if (s.kind === 'tftp') return s.step.serverPort !== null || s.step.bytes > 0 || s.step.blocks > 0;
  return s.step.status !== null || s.step.bytes > 0;
}

function answered(s: Extract<StepFacts, { kind: 'dhcp4' }>): boolean {
  return s.step.offers.length > 0 || s.step.messages.some((m) => m.startsWith('reply') || m === 'ACK' || m === 'NAK');
}

/** Servers the capture holds transfer traffic of (TFTP, HTTP, ICMP refusing one), any device's. */
function serversSeen(facts: FlowFacts): Set<string> {
  const out = new Set<string>();
  for (const d of facts.devices) {
    for (const s of d.steps) if (s.kind === 'tftp' || s.kind === 'http') out.add(s.step.server);
    for (const u of d.unreachable) out.add(u.server);
  }
  return out;
}

/** The capture can show the device fetch what its DHCP pointed it to: it has transfers of its own,
 *  traffic of one of its config servers (configServers) is in it, or its ARP for one that shows
 *  its link (arpShowsLink). A device whose DHCP named none (no answer): any transfer in the
 *  capture. One that named only host names matches none. */
function fetchVisible(d: DeviceFacts, seen: ReadonlySet<string>, anyTransfer: boolean): boolean {
  let named = false;
  for (const s of d.steps) {
    if (s.kind === 'tftp' || s.kind === 'http') return true;
    const servers = s.kind === 'dhcp4' ? configServers(s.step) : s.kind === 'dhcp6' ? bootUrlServer(s.step.bootfileUrl) : NONE;
    for (const server of servers) {
      named = true;
      if (seen.has(server) || d.attempts.some((a) => a.arp?.some((x) => x.target === server && arpShowsLink(x)))) return true;
    }
  }
  return !named && anyTransfer;
}

const NONE: readonly string[] = [];

/** The device's ARP for a server shows the capture sees its own unicast traffic: the reply to it
 *  (unicast to the device) is there, or it asked again and again (no reply came: its requests
 *  would have stopped). One request alone is a broadcast any host of the link sees, the capture
 *  point on the DHCP server as much as a mirror of the device's port. */
function arpShowsLink(x: ArpAskFacts): boolean {
  return x.replied !== null || x.requests >= ARP_RETRIES;
}

const IPV4_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The servers a DHCPv4 exchange named for the device's configuration or boot file, each answer's
 *  (its offers' and its ACK's): option 150's addresses (Cisco phones read their TFTP servers there
 *  first), the host of a boot file URL, option 66 and siaddr (PXE ROMs load from siaddr and ignore
 *  option 66; phones read option 66), and for a PXE client given a file name with siaddr 0 the
 *  DHCP server (option 54: EDK2's fallback). The DHCP server too when nothing else was named. Host
 *  names are kept (they name a server though no address the capture can match). */
function configServers(s: Extract<StepFacts, { kind: 'dhcp4' }>['step']): string[] {
  return [...namedServers(s, false).keys()];
}

/** configServers, each with what the DHCP named it as (for a finding's words); `addressesOnly`:
 *  without host names (ARP asks for addresses). */
export function namedServers(s: Extract<StepFacts, { kind: 'dhcp4' }>['step'], addressesOnly = true): Map<string, string> {
  const out = new Map<string, string>();
  let hostNamed = false;
  const put = (a: string | null, what: string): void => {
    if (a === null || a === '' || a === '0.0.0.0' || out.has(a)) return;
    if (addressesOnly && !IPV4_ADDRESS.test(a)) { hostNamed = true; return; }
    out.set(a, what);
  };
  const pxe = s.vendorClass?.startsWith('PXEClient') ?? false;
  const answer = (server: string | null, bootfile: string | null, nextServer: string | null, siaddr: string | undefined): void => {
    const url = urlHost(bootfile);
    put(url, 'boot file URL host');
    if (nextServer !== null) put(urlHost(nextServer) ?? nextServer, siaddr !== undefined ? 'TFTP server (option 66)' : 'next server (siaddr)');
    const si = siaddr ?? nextServer ?? '0.0.0.0';
    put(si, 'next server (siaddr)');
    if (si === '0.0.0.0' && pxe && url === null) put(server, 'DHCP server (siaddr 0: the PXE ROM loads from option 54)');
  };
  for (const a of s.tftpServers ?? []) put(a, 'TFTP server (option 150)');
  answer(s.server, s.bootfile, s.nextServer, s.siaddr);
  for (const o of s.offers) answer(o.server, o.bootfile, o.nextServer, o.siaddr);
  // A host name named a server (not this one): the DHCP server is no fallback then.
  if (out.size === 0 && !hostNamed) put(s.server, 'DHCP server (no next server named)');
  return out;
}

/** A DHCPv6 boot file URL's server (option 59), none without one. */
function bootUrlServer(url: string | null): readonly string[] {
  const host = urlHost(url);
  return host === null ? NONE : [host];
}

/** The host of a URL (any scheme: http, https, tftp), without user info or port; an IPv6 literal
 *  without its brackets, in the form the flow facts write addresses. Null for a bare file name. */
function urlHost(url: string | null): string | null {
  const m = url === null ? null : /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(?:\[([0-9a-f:.]+)(?:%[^\]]*)?\]|([^/:?#[\]]+))/i.exec(url);
  if (!m) return null;
  return m[1] !== undefined ? ipv6ToString(ipv6FromString(m[1]), 0) : m[2]!.toLowerCase();
}

/** A device answered again and again, minutes apart, in a capture that cannot show its fetch: a
 *  reboot loop cannot be told from intended resets. A warning, the attempts left unjudged. */
function reprovisionedWarning(ctx: Ctx, d: DeviceFacts, boots: readonly AttemptFacts[], unseen: readonly AttemptFacts[]): void {
  const answered = boots.filter((b) => gotAnswers(d, b));
  if (answered.length < 2) return;
  const starts = answered.map((b) => b.start);
  const every = (starts[starts.length - 1]! - starts[0]!) / (starts.length - 1);
  let server: string | null = null;
  for (const s of d.steps) if (s.kind === 'dhcp4' && server === null) server = configServers(s.step)[0] ?? null;
  ctx.attempt = null;
  const frames = unseen.flatMap((a) => d.steps[a.lastStep]!.step.frames.slice(-1));
  add(ctx, 'boot.stopped', d.key, unseen[0]!.end, frames,
    `Provisioned ${answered.length} times, every ~${fmt(every)} s; no traffic to its config server${server ? ` ${server}` : ''} in the capture — a reboot loop (server unreachable, file refused) cannot be told from intended resets.`,
    `Capture \`host ${server ?? '<config server>'}\` too, to see whether the device fetched its configuration.`, 'warning');
}

/** A server answered the attempt's DHCP (an offer, an advertise), or it got past DHCP. */
function gotAnswers(d: DeviceFacts, a: AttemptFacts): boolean {
  if (a.stage !== null && a.stage !== 'dhcp') return true;
  for (let i = a.firstStep; i <= a.lastStep; i++) {
    const s = d.steps[i]!;
    if (s.kind === 'dhcp4' && s.step.offers.length > 0) return true;
    if (s.kind === 'dhcp6' && s.answered) return true;
  }
  return false;
}

/** The power-on's boot went over IPv6 (a PXE or HTTP boot entry over IPv6, a DHCPv6 answer, a
 *  fetch from a server over IPv6) and no DHCPv4 server answered it (an OFFER, ACK or NAK, a reply
 *  whose type the snap length cut). */
function bootOverIpv6Only(d: DeviceFacts, powerOn: readonly AttemptFacts[]): boolean {
  let v6 = false;
  for (const a of powerOn) {
    if (a.entry === 'pxe6' || a.entry === 'http6') v6 = true;
    for (let i = a.firstStep; i <= a.lastStep; i++) {
      const s = d.steps[i]!;
      if (s.kind === 'dhcp4' && answered(s)) return false;
      if ((s.kind === 'dhcp6' && s.answered) || ((s.kind === 'tftp' || s.kind === 'http') && s.step.server.includes(':'))) v6 = true;
    }
  }
  return v6;
}

/** An attempt that got a router advertisement with M=0 and stopped: the link's
 *  ra.missing-managed-flag explains it (iPXE and operating systems obey the RA). */
function raRoot(d: DeviceFacts, a: AttemptFacts, raByLink: ReadonlyMap<string, Finding>): Finding | null {
  const f = raByLink.get(d.link);
  if (!f) return null;
  for (let i = a.firstStep; i <= a.lastStep; i++) {
    const s = d.steps[i]!;
    if (s.kind === 'ra' && s.step.advert !== null && !s.step.advert.managed) return f;
  }
  return null;
}

function stoppedFinding(ctx: Ctx, d: DeviceFacts, a: AttemptFacts, next: AttemptFacts | null): Finding {
  ctx.attempt = a;
  const last = d.steps[a.lastStep]!;
  const frames = last.step.frames.slice(-2);
  const where = a.stage === null ? 'its first packets' : `the ${a.stage} stage${a.bootProgram ? ` (boot program ${a.bootProgram})` : ''}`;
  const then = next
    ? `the device moved on to ${entryText(next.entry)} ${fmt(Math.max(0, next.start - a.end))} s later`
    : `the device was silent for the last ${fmt(ctx.end - a.end)} s of the capture`;
  add(ctx, 'boot.stopped', d.key, a.end, frames, `${entryText(a.entry)} attempt ${a.index + 1} stopped after ${where} with no error on the wire; ${then}.`);
  return ctx.out[ctx.out.length - 1]!;
}
