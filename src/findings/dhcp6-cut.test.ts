/**
 * Cut DHCPv6 (snap length): what a cut Solicit or Request still shows proves a boot client, so the
 * device is judged; a cut Advertise or Reply proves nothing of option 59. Real lab and field
 * captures cut as `editcap -s` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { analyzeCapture } from '../analysis/capture.js';
import { PcapWriter } from '../capture/writer.js';
import { LinkType } from '../wire/link-type.js';
import type { Analysis } from '../analysis/types.js';
import { EtherType } from '../wire/ethernet.js';
import { u16 } from '../wire/bytes.js';
import { bootClientProven, bootClientSaid, asksForBootFile, optionOrderNotIpxe, parseDhcpV6 } from '../wire/dhcpv6/index.js';

/** UEFI PXE over IPv6 against Kea with no boot file URL: Solicit 173 bytes (options 1, 8, 3, ORO
 *  asking 59 60 23 16 at 106, 62, 61 at 125, vendor class "PXEClient:…" from 141), Advertise and
 *  Reply 146 without option 59; then a second Solicit (112, no boot options) → Request 158 → Reply. */
const NO_BOOTFILE = join(CAPTURES, 'lab-v6', 'uefi-pxe6-kea-no-bootfile.pcapng');
/** An OS, then two PXE boots (IPv4) whose iPXE sends a DHCPv6 Information-Request (171 bytes:
 *  1, ORO, vendor class PXEClient at 96, 61, 62, user class iPXE last, 8). */
const TWO_BOOTS = join(CAPTURES, 'field', 'os-then-two-boots.pcapng');
/** UEFI HTTP boot over IPv6 (Kea): the firmware's Solicit (frame 3, 174 bytes: options 1, 8, 3, 6,
 *  62, 61 at 125, vendor class "HTTPClient…" at 131), then its boot program and iPXE's DHCPv6 up to frame 274. */
const HTTP6 = join(CAPTURES, 'lab-v6', 'uefi-http6-kea.pcapng');
const DHCP6_CLIENT_PORT = 546;

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-dhcp6-cut-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isIpv6 = (d: Uint8Array): boolean => d.length >= 14 && u16(d, 12) === EtherType.IPV6;
/** UDP to the DHCPv6 client port (a server's answer), plain Ethernet/IPv6/UDP. */
const isAnswer = (d: Uint8Array): boolean => isIpv6(d) && d[20] === 17 && d.length >= 58 && u16(d, 56) === DHCP6_CLIENT_PORT;

async function analyze(name: string, frames: { time: number; data: Uint8Array }[], snap?: number): Promise<Analysis> {
  const out = join(tmp, `${name}-${snap ?? 'whole'}.pcap`);
  writeFileSync(out, ethernetPcap(frames, snap === undefined ? {} : { snap }));
  return analyzeCapture(out);
}

/** The IPv6 part of the no-boot-file capture (its DHCPv4 attempt left out): a DHCPv6-only boot. */
const v6Only = (): { time: number; data: Uint8Array }[] => loadFrames(NO_BOOTFILE).filter((f) => isIpv6(f.data));
const codes = (a: Analysis): string[] => a.findings.map((f) => f.code);

describe('cut DHCPv6 requests prove a boot client (real captures)', () => {
  it('whole: the boot client got answers without option 59 — failed, dhcp6.no-bootfile-url', async () => {
    const a = await analyze('v6', v6Only());
    expect(a.clients[0]!.outcome).toBe('failed');
    expect(a.clients[0]!.rootCause).toBe('dhcp6.no-bootfile-url');
  });

  // 150: the Solicit keeps its arch and "PXEClient", the Request loses its ORO; 160: the Request
  // is cut in its ORO. The Advertise and Replies (146) are whole: their missing option 59 is a fact.
  it.each([150, 160])('snap %i: cut Solicit and Request, whole answers — still judged failed (no-bootfile-url)', async (snap) => {
    const a = await analyze('v6', v6Only(), snap);
    expect(codes(a)).toContain('capture.snaplen');
    expect(a.clients[0]!.role).toBe('boot');
    expect(a.clients[0]!.outcome).toBe('failed');
    expect(a.clients[0]!.rootCause).toBe('dhcp6.no-bootfile-url');
  });

  it.each([120, 140])('snap %i: a cut Advertise/Reply proves nothing of option 59 — no dhcp6.no-bootfile-url', async (snap) => {
    const a = await analyze('v6', v6Only(), snap);
    expect(codes(a)).not.toContain('dhcp6.no-bootfile-url');
    expect(a.clients[0]!.outcome).not.toBe('failed');
  });

  it('a cut Solicit that shows a boot client, retransmitted with no answer at all: judged (no-advertise)', async () => {
    // The first Solicit alone, as a client whose DHCPv6 server is gone resends it (RFC 8415 §15).
    const sol = v6Only().find((f) => !isAnswer(f.data) && f.data.length === 173)!;
    const resent = [0, 1, 3, 7, 15, 31, 63].map((t) => ({ time: sol.time + t, data: sol.data }));
    for (const snap of [112, 131, 150]) {
      const a = await analyze('resent', resent, snap);
      expect(a.clients[0]!.role, `snap ${snap}`).toBe('boot');
      expect(a.clients[0]!.outcome, `snap ${snap}`).toBe('failed');
      expect(a.clients[0]!.rootCause, `snap ${snap}`).toBe('dhcp6.no-advertise');
    }
    // Cut inside its ORO before 59: nothing says it is a boot client — not judged.
    const a = await analyze('resent', resent, 108);
    expect(a.clients[0]!.outcome).toBe('incomplete');
  });

  it('snap 130: iPXE\'s cut Information-Request (user class cut) stays in the boot — no DHCPv6 boot entry of its own', async () => {
    const whole = await analyzeCapture(TWO_BOOTS);
    expect(whole.clients[0]!.attempts.map((x) => x.entry)).not.toContain('provision');
    const a = await analyze('two-boots', loadFrames(TWO_BOOTS), 130);
    const entries = a.clients[0]!.attempts.map((x) => x.entry);
    expect(entries).not.toContain('provision');
    expect(entries).not.toContain('pxe6');
  });
});

describe('a cut firmware Solicit after iPXE is a fall-through, not iPXE (option order)', () => {
  /** The lab boot up to frame 274, then the firmware's Solicit again 3 s later (a new transaction),
   *  cut at `snap` or whole: no user class, as iPXE's cut request would show none either. */
  const fallThrough = (): { time: number; data: Uint8Array }[] => {
    const fs = loadFrames(HTTP6).slice(0, 275);
    const sol = fs[3]!.data.slice();
    sol[0x3f] ^= 0xff; // its transaction id
    return [...fs, { time: fs[274]!.time + 3, data: sol }];
  };
  const attemptsAt = async (snap?: number): Promise<number> => {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET);
    const frames = fallThrough();
    // Only the last frame cut (its original length kept), as a busy capture's drop would.
    frames.forEach((f, i) => w.writePacket(f.time, i === frames.length - 1 && snap !== undefined ? f.data.subarray(0, snap) : f.data, f.data.length));
    const out = join(tmp, `fall-through-${snap ?? 'whole'}.pcap`);
    writeFileSync(out, Buffer.concat(chunks));
    return (await analyzeCapture(out)).clients[0]!.attempts.length;
  };

  it('whole, and cut after its arch (135) or inside it (130): two attempts, the fall-through kept', async () => {
    const whole = await attemptsAt();
    expect(whole).toBe(2);
    for (const snap of [135, 130]) expect(await attemptsAt(snap), `snap ${snap}`).toBe(whole);
  });
});

describe('DHCPv6 boot-client proof read from what a cut left (wire)', () => {
  const solicit = v6Only().find((f) => !isAnswer(f.data) && f.data.length === 173)!.data;
  const msgAt = (snap: number) => parseDhcpV6(solicit.subarray(62, snap), []);

  it('ORO asking for 59 proves it once its first code is whole; arch once whole; vendor class once "PXEClient" is', () => {
    expect(bootClientProven(msgAt(110))).toBe(false);
    expect(asksForBootFile(msgAt(112))).toBe(true);
    expect(bootClientSaid(msgAt(130))).toBe(false); // arch cut one byte short
    expect(bootClientSaid(msgAt(131))).toBe(true);
    const noArch = new Uint8Array(solicit.subarray(0, 150));
    noArch[125] = 0xee; // option 61 (at 125) → an unknown code: only the vendor class is left
    noArch[126] = 0xee;
    expect(bootClientSaid(parseDhcpV6(noArch.subarray(62, 149), []))).toBe(false); // "PXEClien"
    expect(bootClientSaid(parseDhcpV6(noArch.subarray(62, 150), []))).toBe(true);
  });

  it('option order: elapsed time (8) early, or arch (61) before vendor class (16), is not iPXE\'s', () => {
    expect(optionOrderNotIpxe(msgAt(70))).toBe(false); // its client id only: nothing tells yet
    expect(optionOrderNotIpxe(msgAt(90))).toBe(false); // 1 and 8 whole, nothing after yet
    expect(optionOrderNotIpxe(msgAt(100))).toBe(true); // option 3 after 8 (EDK2: 1, 8, 3, 6, 62, 61, 16)
    const no8 = new Uint8Array(solicit.subarray(0, 150));
    no8[84] = 0xee; // option 8 (at 84) → an unknown code: only the arch before the vendor class tells
    no8[85] = 0xee;
    expect(optionOrderNotIpxe(parseDhcpV6(no8.subarray(62, 131), []))).toBe(false); // up to 61
    expect(optionOrderNotIpxe(parseDhcpV6(no8.subarray(62, 150), []))).toBe(true); // 16 after 61
    const iPxeInfoRequest = loadFrames(TWO_BOOTS).find((f) => isIpv6(f.data) && f.data.length === 171)!.data;
    for (const snap of [110, 145, 150, 171]) expect(optionOrderNotIpxe(parseDhcpV6(iPxeInfoRequest.subarray(62, snap), [])), `snap ${snap}`).toBe(false);
  });
});

describe('cut DHCPv6 answers and requests: judged from the whole messages, entries from what is left (real captures)', () => {
  /** The frames, those `cut` picks (by 0-based index) cut to `snap` bytes, their original length kept. */
  const cutSome = async (name: string, frames: { time: number; data: Uint8Array }[], snap: number, cut: (i: number) => boolean): Promise<Analysis> => {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET);
    frames.forEach((f, i) => w.writePacket(f.time, cut(i) ? f.data.subarray(0, snap) : f.data, f.data.length));
    const out = join(tmp, `${name}.pcap`);
    writeFileSync(out, Buffer.concat(chunks));
    return analyzeCapture(out);
  };

  it('a cut Advertise beside a whole one without option 59 (the Solicit answered twice): still dhcp6.no-bootfile-url', async () => {
    // The boot client's Solicit answered by an Advertise the capture cut, then again 0.3 s later
    // whole (the server answering the Solicit's retransmission): the whole one shows no option 59.
    const frames = v6Only();
    const first = frames.findIndex((f) => isAnswer(f.data));
    const again = { time: frames[first]!.time + 0.3, data: frames[first]!.data };
    const all = [...frames.slice(0, first + 1), again, ...frames.slice(first + 1)];
    const a = await cutSome('advertise-cut', all, 120, (i) => i === first);
    expect(codes(a)).toContain('capture.snaplen');
    expect(codes(a)).toContain('dhcp6.no-bootfile-url');
    expect(a.clients[0]!.rootCause).toBe('dhcp6.no-bootfile-url');
  });

  it.each([116, 117, 118])('snap %i: iPXE\'s Information-Request cut inside "PXEClient" is no provisioning client — no \'provision\' attempt', async (snap) => {
    const a = await analyze('two-boots', loadFrames(TWO_BOOTS), snap);
    expect(a.clients[0]!.attempts.map((x) => x.entry)).not.toContain('provision');
  });

  it.each([135, 150])('snap %i: the HTTP boot firmware\'s Solicit, its vendor class cut away, is http6 by its arch (16); iPXE\'s after it no entry of its own', async (snap) => {
    const whole = await analyzeCapture(HTTP6);
    expect(whole.clients[0]!.attempts.map((x) => x.entry)).toEqual(['http6']);
    const a = await analyze('http6', loadFrames(HTTP6), snap);
    expect(a.clients[0]!.attempts.map((x) => x.entry)).toEqual(['http6']);
  });
});
