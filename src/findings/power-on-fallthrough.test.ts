/**
 * Power-on grouping on real lab captures (OVMF/EDK2 against real servers) bent as field captures
 * are: one root cause per power-on, however the firmware went on. A UEFI boot manager whose iPXE
 * exits goes on to its next Boot#### entry seconds later (EDK2 BdsDxe's BootBootOptions): the same
 * power-on. A reset starts over at the top of the boot order: the same entry again after a boot
 * program ran. A firmware going round its boot order again fails each entry as that entry failed
 * before: one root cause, the later rounds its consequences.
 */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis, ClientReport } from '../analysis/types.js';
import { cutCapture, ethernetPcap, movedTo, spliceAfterItself, withLateCopies } from '../../test/helpers/splice.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { EtherType } from '../wire/ethernet.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { u16 } from '../wire/bytes.js';

/** PXEv4 unanswered, PXEv6 chains iPXE, which obeys an RA with M=0 O=0 and fails; OVMF then goes
 *  on to "HTTP Boot over IPv4" ~10 s later and the capture stops 4 s into it. */
const BROKEN_RA = 'captures/lab-v6/broken-ra-no-managed.pcapng';
/** PXEv4 unanswered, PXEv6 chains iPXE, which loops on its own boot file (ipxe.chainload-loop). */
const CHAINLOAD_LOOP = 'captures/lab-v6/uefi-pxe6-kea.pcapng';
/** PXEv4 unanswered, PXEv6: Kea's ADVERTISE has no boot file URL (option 59). */
const NO_BOOTFILE = 'captures/lab-v6/uefi-pxe6-kea-no-bootfile.pcapng';
/** PXEv4: the boot file is missing (PXE-E23); PXEv6: no DHCPv6 server (Solicits unanswered). */
const MISSING_FILE = 'captures/lab/broken-missing-tftp-file.pcapng';

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'bent.pcap', stream: Readable.from([Buffer.from(bytes)]) });
}

function bootClient(a: Analysis): ClientReport {
  const boot = a.clients.filter((c) => c.role === 'boot');
  expect(boot).toHaveLength(1);
  return boot[0]!;
}

const errors = (a: Analysis) => a.findings.filter((f) => f.severity === 'error');
const finding = (a: Analysis, id: string | null) => a.findings.find((f) => f.id === id)!;

/** 0-based index of the capture's last router advertisement (untagged Ethernet, ICMPv6 right after
 *  the IPv6 header). */
function lastRaIndex(file: string): number {
  const frames = loadFrames(file);
  for (let i = frames.length - 1; i >= 0; i--) {
    const d = frames[i]!.data;
    if (d.length > 54 && u16(d, 12) === EtherType.IPV6 && d[20] === IpProtocol.ICMPV6 && d[54] === Icmpv6Type.ROUTER_ADVERTISEMENT) return i;
  }
  throw new Error(`${file}: no router advertisement`);
}

describe('a UEFI boot manager going on to its next boot entry after iPXE exits: the same power-on', () => {
  it(`${BROKEN_RA} with one more RA 60 s later (the capture ran on): the HTTPv4 entry's failure follows from the PXEv6 entry's root cause`, async () => {
    const orig = await analyzeCapture(BROKEN_RA);
    const ra = lastRaIndex(BROKEN_RA);
    const a = await analyzeBytes(withLateCopies(BROKEN_RA, 60, (i) => i === ra));
    const c = bootClient(a);
    expect(c.attempts.map((x) => x.entry)).toEqual(['pxe4', 'pxe6', 'http4']);
    const [, pxe6, http4] = c.attempts;
    // 60 s of silence after it: the HTTPv4 entry is judged now, and it failed.
    expect(http4!.outcome).toBe('failed');
    expect(http4!.rootCause).toBe('dhcp.no-offer');
    expect(pxe6!.rootCause).toBe('ra.missing-managed-flag');
    const own = finding(a, http4!.rootCauseId);
    expect(own.severity).toBe('info');
    expect(own.causedBy).toBe(pxe6!.rootCauseId);
    // One power-on, one root cause: the errors the original has, no more.
    expect(errors(a).map((f) => f.code)).toEqual(errors(orig).map((f) => f.code));
    expect(a.summary.errors).toBe(orig.summary.errors);
  });

  it(`${BROKEN_RA} followed by itself 10 s later (reset at the top of the boot order): the first power-on's HTTPv4 failure follows from it, the second power-on starts over`, async () => {
    const s = spliceAfterItself(BROKEN_RA, 10);
    const a = await analyzeBytes(s.bytes);
    const c = bootClient(a);
    expect(c.attempts.map((x) => x.entry)).toEqual(['pxe4', 'pxe6', 'http4', 'pxe4', 'pxe6', 'http4']);
    const at = c.attempts;
    // The HTTPv4 entry the firmware went on to, and the reset that followed it 10 s later.
    expect(at[2]!.outcome).toBe('failed');
    const http4 = finding(a, at[2]!.rootCauseId);
    expect([http4.code, http4.severity, http4.causedBy]).toEqual(['dhcp.no-offer', 'info', at[1]!.rootCauseId]);
    // The second power-on's PXEv4 entry is no consequence of the first power-on's failure.
    const pxe4 = finding(a, at[3]!.rootCauseId);
    expect(pxe4.code).toBe('dhcp.no-offer');
    expect(pxe4.causedBy).toBeNull();
    expect(pxe4.frames.every((f) => f > s.frames)).toBe(true);
    expect(errors(a).filter((f) => f.client === c.mac)).toEqual([]);
  });

  it(`${CHAINLOAD_LOOP} followed by itself 10 s later: the firmware starting over seconds after iPXE ran is a new power-on; iPXE handed itself in both is one chainload loop`, async () => {
    const orig = await analyzeCapture(CHAINLOAD_LOOP);
    const s = spliceAfterItself(CHAINLOAD_LOOP, 10);
    const a = await analyzeBytes(s.bytes);
    const c = bootClient(a);
    expect(c.attempts.map((x) => [x.entry, x.outcome, x.rootCause])).toEqual([
      ['pxe4', 'failed', 'dhcp.no-offer'], ['pxe6', 'failed', 'ipxe.chainload-loop'],
      ['pxe4', 'failed', 'dhcp.no-offer'], ['pxe6', 'failed', 'ipxe.chainload-loop'],
    ]);
    // The second round's PXEv4 entry starts a power-on of its own (not the first's consequence).
    expect(finding(a, c.attempts[2]!.rootCauseId).causedBy).toBeNull();
    // Whether iPXE exited back to a firmware that retries or someone reset it seconds later, the
    // capture cannot tell: the same loop, one finding that names its rounds; no error per round.
    const [first, second] = [1, 3].map((i) => finding(a, c.attempts[i]!.rootCauseId));
    expect([first!.severity, first!.causedBy]).toEqual(['error', null]);
    expect([second!.severity, second!.causedBy]).toEqual(['info', first!.id]);
    expect(first!.message).toMatch(/2 times/);
    expect(errors(a).map((f) => f.code)).toEqual(errors(orig).map((f) => f.code));
    expect(a.findings.filter((f) => f.code === 'ipxe.chainload-loop' && f.severity === 'error')).toHaveLength(1);
  });

  it(`${CHAINLOAD_LOOP} followed by itself 90 s later (a reboot-sized silence): two power-ons, each loop a root cause of its own`, async () => {
    const s = spliceAfterItself(CHAINLOAD_LOOP, 90);
    const a = await analyzeBytes(s.bytes);
    const c = bootClient(a);
    const loops = c.attempts.filter((x) => x.rootCause === 'ipxe.chainload-loop').map((x) => finding(a, x.rootCauseId));
    expect(loops.map((f) => [f.severity, f.causedBy])).toEqual([['error', null], ['error', null]]);
    expect(loops[0]!.message).not.toMatch(/went round/);
    expect(loops[1]!.frames.every((f) => f > s.frames)).toBe(true);
  });
});

describe('a firmware going round its boot order again within one power-on', () => {
  it(`${MISSING_FILE} followed by itself 5 s later (PXEv4, PXEv6, PXEv4, PXEv6): each later round compared with that entry's first round, one root cause`, async () => {
    const orig = await analyzeCapture(MISSING_FILE);
    const s = spliceAfterItself(MISSING_FILE, 5);
    const a = await analyzeBytes(s.bytes);
    const c = bootClient(a);
    expect(c.attempts.map((x) => [x.entry, x.outcome, x.rootCause])).toEqual([
      ['pxe4', 'failed', 'tftp.error'], ['pxe6', 'failed', 'dhcp6.no-advertise'],
      ['pxe4', 'failed', 'tftp.error'], ['pxe6', 'failed', 'dhcp6.no-advertise'],
    ]);
    // No reboot-sized silence anywhere (EDK2 ends its PXEv6 Solicits ~35 s before the next round).
    for (let i = 1; i < c.attempts.length; i++) expect(c.attempts[i]!.start - c.attempts[i - 1]!.end).toBeLessThan(60);
    const main = c.attempts[0]!.rootCauseId;
    expect(finding(a, main).severity).toBe('error');
    for (const x of c.attempts.slice(1)) {
      const f = finding(a, x.rootCauseId);
      expect([x.index, f.severity, f.causedBy]).toEqual([x.index, 'info', main]);
    }
    expect(errors(a).map((f) => f.id)).toEqual([main]);
    expect(a.summary.errors).toBe(orig.summary.errors);
  });
});

describe('the same boots seen late or cut by a snap length: no root cause the whole capture does not have', () => {
  it(`${BROKEN_RA} from its second third on (started during the TFTP transfer): iPXE's failure is still the RA's`, async () => {
    const orig = await analyzeCapture(BROKEN_RA);
    const frames = loadFrames(BROKEN_RA).length;
    const a = await analyzeBytes(cutCapture(BROKEN_RA, { from: Math.floor(frames / 3) }));
    const c = bootClient(a);
    // The firmware's DHCPv6 lease is not in it; iPXE's attempt is.
    expect(c.attempts[0]!.entry).toBe('ipxe');
    expect(c.attempts[0]!.rootCause).toBe('ra.missing-managed-flag');
    const noOffer = a.findings.filter((f) => f.code === 'dhcp.no-offer' && f.attempt === 0);
    expect(noOffer.length).toBeGreaterThan(0);
    expect(noOffer.every((f) => f.severity === 'info' && f.causedBy === c.attempts[0]!.rootCauseId)).toBe(true);
    expect(errors(a).map((f) => f.code)).toEqual(errors(orig).map((f) => f.code));
  });

  for (const file of [BROKEN_RA, CHAINLOAD_LOOP]) {
    it(`${file} at -s 96 (every DHCPv6 Reply's IA cut): the PXEv4 and iPXE DHCPv4 waits stay delays, the boot over IPv6 shows it`, async () => {
      const a = await analyzeBytes(cutCapture(file, { snap: 96 }));
      const c = bootClient(a);
      const noOffer = a.findings.filter((f) => f.code === 'dhcp.no-offer' && f.client === c.mac);
      expect(noOffer.length).toBeGreaterThan(0);
      expect(noOffer.map((f) => f.severity)).not.toContain('error');
      // What the cut hides (the chainload loop, the RA's part) is not replaced by a guess.
      expect(errors(a).filter((f) => f.client === c.mac)).toEqual([]);
      // Not judged failed, and not passed either: the capture cannot show how it ended.
      expect(c.outcome).toBe('incomplete');
    });
  }
});

describe('a reset the capture missed: it began halfway through a power-on', () => {
  it(`${CHAINLOAD_LOOP} from its second third on, then ${NO_BOOTFILE} 10 s later: the entry that got answers and failed for its own reason stays a root cause`, async () => {
    const loop = loadFrames(CHAINLOAD_LOOP);
    const next = loadFrames(NO_BOOTFILE);
    const late = loop.slice(Math.floor(loop.length / 3));
    const a = await analyzeBytes(ethernetPcap([...movedTo(late, late[0]!.time), ...movedTo(next, late.at(-1)!.time + 10)]));
    const c = bootClient(a);
    // The late start hides the firmware entries before iPXE: nothing marks the reset.
    expect(c.attempts[0]!.entry).toBe('ipxe');
    expect(c.attempts[0]!.rootCause).toBe('ipxe.chainload-loop');
    const pxe6 = c.attempts.find((x) => x.entry === 'pxe6' && x.rootCause === 'dhcp6.no-bootfile-url');
    expect(pxe6).toBeDefined();
    const own = finding(a, pxe6!.rootCauseId);
    expect([own.severity, own.causedBy]).toEqual(['error', null]);
    expect(errors(a).map((f) => f.code).sort()).toEqual(['dhcp6.no-bootfile-url', 'ipxe.chainload-loop']);
  });
});

describe('a capture that starts inside iPXE: the firmware entry that ran it is not in it', () => {
  it(`${CHAINLOAD_LOOP} from its second third on (iPXE's last DHCP names a boot file, its fetch not in the capture), then the whole capture 10 s later: the firmware's next entry, the same power-on`, async () => {
    const loop = loadFrames(CHAINLOAD_LOOP);
    const late = loop.slice(Math.floor(loop.length / 3));
    const a = await analyzeBytes(ethernetPcap([...movedTo(late, late[0]!.time), ...movedTo(loop, late.at(-1)!.time + 10)]));
    const c = bootClient(a);
    expect(c.attempts.map((x) => x.entry)).toEqual(['ipxe', 'pxe4', 'pxe6']);
    // What iPXE did with the boot file is not seen: it may have failed and exited, so the PXEv4
    // entry is taken as the boot manager's next one — its failure follows from iPXE's.
    const [first, pxe4] = c.attempts.map((x) => finding(a, x.rootCauseId));
    expect([first!.severity, first!.causedBy]).toEqual(['error', null]);
    expect(pxe4!.causedBy).toBe(first!.id);
  });

  it(`${BROKEN_RA} from its second third on, the capture running on 60 s: iPXE visibly gave up (no address), the HTTPv4 entry after it is the boot manager's next, the same power-on`, async () => {
    const frames = loadFrames(BROKEN_RA);
    const ra = lastRaIndex(BROKEN_RA);
    const late = frames.slice(Math.floor(frames.length / 3));
    const a = await analyzeBytes(ethernetPcap([...late, { time: frames[ra]!.time + 60, data: frames[ra]!.data }]));
    const c = bootClient(a);
    expect(c.attempts.map((x) => x.entry)).toEqual(['ipxe', 'http4']);
    const [ipxe, http4] = c.attempts;
    expect(ipxe!.rootCause).toBe('ra.missing-managed-flag');
    expect(http4!.outcome).toBe('failed');
    const own = finding(a, http4!.rootCauseId);
    expect([own.severity, own.causedBy]).toEqual(['info', ipxe!.rootCauseId]);
  });
});
