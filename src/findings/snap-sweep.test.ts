/**
 * Snap-length sweep: real HTTP and DHCPv6 captures cut as `tcpdump -s N` / `editcap -s N` cut them,
 * N from 64 (no TCP payload left) to 1514 (nothing cut). Property: a cut capture raises no error or
 * warning that the whole capture does not also raise at that severity or above (per device), except
 * the cut-capture notice (capture.snaplen); no more HTTP fetches that read FAIL, no more failed
 * devices, and exit 1 only where the whole capture exits 1: what the cut took is never read as a
 * failure, and no more booted devices (a fetch whose end the cut took proves no boot). A 404
 * answering iPXE's script is a warning, whole or cut, when the client goes on to fetch its kernel
 * (a cut 2xx counts for that), an error when nothing follows.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { exitCodeFor } from '../cli/analyze.js';

/** bios-ipxe-dnsmasq with its script's answer made a 404 (iPXE goes on to its kernel and initrd). */
const SCRIPT_404 = 'lab/bios-ipxe-dnsmasq.pcap with boot.ipxe 404';
/** The same, the capture ending at the client's ACK of the 404: a real failure, whole or cut. */
const SCRIPT_404_END = 'lab/bios-ipxe-dnsmasq.pcap with boot.ipxe 404 and nothing after';
/** uefi-pxe6-kea with a second server's Advertise (another MAC and address) in the first exchange,
 *  without option 59: an offer the client does not take (it requests the first and TFTP-fetches). */
const TWO_SERVERS = 'lab-v6/uefi-pxe6-kea.pcapng with a bare Advertise of another server';
/** The script's 404, then the kernel's 200 cut off inside its body: by the server's RST, its FIN,
 *  or the capture's end. A real failure, whole or cut (the kernel never arrived). */
const KERNEL_RST = 'lab/bios-ipxe-dnsmasq.pcap with boot.ipxe 404, the kernel cut off by a RST';
const KERNEL_FIN = 'lab/bios-ipxe-dnsmasq.pcap with boot.ipxe 404, the kernel cut off by a FIN';
const KERNEL_END = 'lab/bios-ipxe-dnsmasq.pcap with boot.ipxe 404, the capture ending inside the kernel';
/** bios-ipxe-dnsmasq with the kernel's answer made a 404 (the initrd after it loads): a failure. */
const KERNEL_404 = 'lab/bios-ipxe-dnsmasq.pcap with vmlinuz 404';
/** bios-ipxe-dnsmasq with "vmlinuz" renamed (script and GET) to a name no rule knows as a kernel,
 *  as Flatcar's "flatcar_production_pxe.vmlinuz" is: its initrd loaded ends the chain. */
const KERNEL_UNNAMED = 'lab/bios-ipxe-dnsmasq.pcap with the kernel under a name no rule knows';
/** bios-ipxe-dnsmasq as seen from the server's side only (its frames alone). */
const SERVER_ONLY = 'lab/bios-ipxe-dnsmasq.pcap with the server\'s frames only';
/** The capture as recorded: iPXE's script, kernel and initrd on one keep-alive connection. */
const SNAP_FULL = 'lab/bios-ipxe-dnsmasq.pcap';
const CAPS = [
  SNAP_FULL,
  SCRIPT_404,
  SCRIPT_404_END,
  KERNEL_RST,
  KERNEL_FIN,
  KERNEL_END,
  KERNEL_404,
  SERVER_ONLY,
  TWO_SERVERS,
  'lab/mtu-http-blackhole.pcapng',
  'lab-v6/uefi-http6-kea.pcapng',
  'lab-v6/uefi-pxe6-kea.pcapng',
  'lab-v6/uefi-pxe6-kea-no-bootfile.pcapng',
  'field/os-then-two-boots.pcapng',
];
const SNAPS = [64, 66, 68, 70, 80, 90, 96, 116, 117, 118, 128, 135, 146, 150, 200, 300, 600, 1000, 1514];
/** Left as they are, each with why and the snap lengths it is seen at (not cut handling: the lead
 *  knows them): outside its range the entry excuses nothing. */
const KNOWN: Record<string, { snaps: [number, number]; why: string }> = {
  // iPXE's DHCPv4 DISCOVERs (unanswered: a DHCPv6-only lab) cut before the user class: the
  // "went on over DHCPv6" predicate needs the stage (session 14, task F's area).
  // From 128 on the device reads booted (its cut HTTP bodies shown delivered): no warning there.
  'lab-v6/uefi-http6-kea.pcapng dhcp.no-offer': { snaps: [90, 118], why: 'DHCPv4 stage of a cut DISCOVER (went-on predicate)' },
  // Whole: a warning (the client went on over DHCPv6); cut at 116–135 an error. On main before s14-cx too.
  'lab-v6/uefi-pxe6-kea-no-bootfile.pcapng dhcp.no-offer': { snaps: [116, 135], why: 'cut DISCOVER: went on over DHCPv6 unseen (went-on predicate)' },
  // Whole: failed (ipxe.chainload-loop). Cut at 116–128 the SOLICIT's vendor class is cut before
  // "PXEC": no boot client, its TFTP fetch reads "booted by provisioning". On main before s14-c too
  // (an attempt's entry from a cut identity, not HTTP/DHCPv6 cut handling): a false pass to fix.
  'lab-v6/uefi-pxe6-kea.pcapng booted': { snaps: [116, 128], why: 'entry "provision" from a vendor class the cut took' },
  [`${TWO_SERVERS} booted`]: { snaps: [116, 128], why: 'entry "provision" from a vendor class the cut took' },
};

/** Is `what` ("capture code" or "capture booted") a known gap at this snap length? */
function known(what: string, snap: number): boolean {
  const k = KNOWN[what];
  return k !== undefined && snap >= k.snaps[0] && snap <= k.snaps[1];
}

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-snap-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** HTTP steps that read as failed (neither ok nor cut). */
function failedFetches(a: Analysis): number {
  return a.clients.flatMap((c) => c.steps).filter((s) => s.kind === 'http' && !s.ok && s.cut === undefined).length;
}

const RANK: Record<string, number> = { info: 0, warning: 1, error: 2 };

/** "device code" of each error or warning → its highest severity rank. */
function raised(a: Analysis): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of a.findings) {
    if (f.severity === 'info') continue;
    const k = `${f.client ?? '-'} ${f.code}`;
    out.set(k, Math.max(out.get(k) ?? 0, RANK[f.severity]!));
  }
  return out;
}

function failedDevices(a: Analysis): number {
  return a.clients.filter((c) => c.outcome === 'failed').length;
}

function bootedDevices(a: Analysis): number {
  return a.clients.filter((c) => c.outcome === 'booted').length;
}

function framesOf(cap: string): { time: number; data: Uint8Array }[] {
  if (cap === TWO_SERVERS) {
    const frames = loadFrames(join(CAPTURES, 'lab-v6/uefi-pxe6-kea.pcapng'));
    const advertise = frames[19]!, bare = frames[23]!; // frames 20 and 24: Advertises of two exchanges
    const data = bare.data.slice();
    data.set(advertise.data.subarray(63, 66), 63); // the first exchange's transaction id
    data[6]! ^= 1; // another server: its MAC and IPv6 source differ
    data[37]! ^= 1;
    data[60] = 0; data[61] = 0; // UDP checksum left out
    return [...frames.slice(0, 20), { ...bare, time: advertise.time + 0.0005, data }, ...frames.slice(20)];
  }
  if (!cap.startsWith('lab/bios-ipxe-dnsmasq.pcap ')) return loadFrames(join(CAPTURES, cap));
  const frames = loadFrames(join(CAPTURES, 'lab/bios-ipxe-dnsmasq.pcap'));
  if (cap === SERVER_ONLY) {
    const server = frames.find((x) => Buffer.from(x.data).indexOf('HTTP/1.1 200') >= 0)!.data.subarray(6, 12);
    return frames.filter((x) => Buffer.compare(x.data.subarray(6, 12), server) === 0);
  }
  if (cap === KERNEL_UNNAMED) {
    return frames.map((x) => {
      const b = Buffer.from(x.data);
      for (let at = b.indexOf('vmlinuz'); at >= 0; at = b.indexOf('vmlinuz', at + 7)) b.write('fcpxe.z', at, 'latin1');
      return { ...x, data: new Uint8Array(b) };
    });
  }
  const head = Buffer.from('HTTP/1.1 200');
  const answers = frames.flatMap((x, i) => (Buffer.from(x.data).indexOf(head) >= 0 ? [i] : []));
  const getKernel = frames.findIndex((x) => Buffer.from(x.data).indexOf('GET /vmlinuz') >= 0);
  const kernelAnswer = answers.find((i) => i > getKernel)!;
  const f = frames[cap === KERNEL_404 ? kernelAnswer : answers[0]!]!;
  Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length).write('404', Buffer.from(f.data).indexOf(head) + 9, 'latin1');
  if (cap === SCRIPT_404_END) {
    // Up to the client's ACK of the 404 (the frame before its GET of vmlinuz).
    expect(getKernel).toBeGreaterThan(0);
    return frames.slice(0, getKernel);
  }
  if (cap === KERNEL_RST || cap === KERNEL_FIN || cap === KERNEL_END) {
    // The kernel's head and one more full segment of its body, then the server closes.
    const body = frames[kernelAnswer + 1]!;
    expect(body.data.length).toBeGreaterThan(1000);
    const kept = frames.slice(0, kernelAnswer + 2);
    return cap === KERNEL_END ? kept : [...kept, { ...body, time: body.time + 0.001, data: closeAfter(body.data, cap === KERNEL_FIN) }];
  }
  return frames;
}

/** The sender's RST|ACK (or FIN|ACK) right after this IPv4 TCP segment, no payload. */
function closeAfter(seg: Uint8Array, fin: boolean): Uint8Array {
  const ihl = (seg[14]! & 15) * 4, thl = (seg[14 + ihl + 12]! >> 4) * 4;
  const v = Buffer.from(seg.subarray(0, 14 + ihl + thl));
  const payload = Buffer.from(seg).readUInt16BE(16) - ihl - thl;
  v.writeUInt16BE(ihl + thl, 16);
  v.writeUInt32BE((v.readUInt32BE(14 + ihl + 4) + payload) >>> 0, 14 + ihl + 4);
  v[14 + ihl + 13] = fin ? 0x11 : 0x14;
  v.writeUInt16BE(0, 24);
  let sum = 0;
  for (let i = 14; i < 14 + ihl; i += 2) sum += v.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  v.writeUInt16BE(~sum & 0xffff, 24);
  v.writeUInt16BE(0, 14 + ihl + 16); // TCP checksum left out
  return new Uint8Array(v);
}

describe('snap-length sweep over real HTTP and DHCPv6 captures', () => {
  it.each(CAPS)('%s: no error or warning the whole capture does not raise, at any snap length', async (cap) => {
    const frames = framesOf(cap);
    const wholeFile = join(tmp, `${cap.replace(/\W/g, '_')}-whole.pcap`);
    writeFileSync(wholeFile, ethernetPcap(frames));
    const wholeAnalysis = await analyzeCapture(wholeFile);
    const whole = raised(wholeAnalysis);
    const wholeFailed = failedFetches(wholeAnalysis);
    const wholeExit = exitCodeFor(wholeAnalysis);
    const wholeFailedDevices = failedDevices(wholeAnalysis);
    const wholeBooted = bootedDevices(wholeAnalysis);
    // A finding on a device the cut made an ip: twin (DHCP cut) counts as the device's.
    const wholeCodes = new Map<string, number>();
    for (const [k, r] of whole) wholeCodes.set(k.split(' ')[1]!, Math.max(wholeCodes.get(k.split(' ')[1]!) ?? 0, r));
    const extra: string[] = [];
    for (const snap of SNAPS) {
      const out = join(tmp, `${cap.replace(/\W/g, '_')}-${snap}.pcap`);
      writeFileSync(out, ethernetPcap(frames, { snap }));
      const a = await analyzeCapture(out);
      if (failedFetches(a) > wholeFailed) extra.push(`snap ${snap}: ${failedFetches(a)} HTTP fetches FAIL (whole: ${wholeFailed})`);
      if (exitCodeFor(a) > wholeExit) extra.push(`snap ${snap}: exit ${exitCodeFor(a)} (whole: ${wholeExit})`);
      if (failedDevices(a) > wholeFailedDevices) extra.push(`snap ${snap}: ${failedDevices(a)} devices failed (whole: ${wholeFailedDevices})`);
      // Nor is it read as a pass: a fetch whose end the cut took proves no boot.
      if (bootedDevices(a) > wholeBooted && !known(`${cap} booted`, snap)) extra.push(`snap ${snap}: ${bootedDevices(a)} devices booted (whole: ${wholeBooted})`);
      for (const [k, rank] of raised(a)) {
        const code = k.split(' ')[1]!;
        if (code === 'capture.snaplen' || (whole.get(k) ?? -1) >= rank || (k.startsWith('ip:') && (wholeCodes.get(code) ?? -1) >= rank)) continue;
        if (known(`${cap} ${code}`, snap)) continue;
        extra.push(`snap ${snap}: ${k} ${rank === 2 ? 'error' : 'warning'}`);
      }
    }
    expect(extra).toEqual([]);
  }, 120_000);
});

describe('a cut keeps what its headers show', () => {
  it('a 404 answering iPXE\'s script with nothing after it is an error, exit 1, wherever the cut leaves its code', async () => {
    const frames = framesOf(SCRIPT_404_END);
    // At 90–150 the cut takes iPXE's DHCP identity, but the request line is whole up to its URI:
    // boot.ipxe is a script, which only iPXE fetches.
    for (const snap of [96, 128, 200, 600, 1514]) {
      const out = join(tmp, `404-end-${snap}.pcap`);
      writeFileSync(out, ethernetPcap(frames, { snap }));
      const a = await analyzeCapture(out);
      expect([snap, a.findings.filter((f) => f.code === 'http.error').map((f) => f.severity), exitCodeFor(a)]).toEqual([snap, ['error'], 1]);
    }
  }, 60_000);


  it.each([KERNEL_RST, KERNEL_FIN, KERNEL_END, KERNEL_404])('%s: an HTTP error, exit 1, whole and cut at 96–200', async (cap) => {
    const frames = framesOf(cap);
    // The cut 2xx of the kernel (after the script's 404) is no load: a RST, a FIN or the capture's
    // end follows it; an initrd loaded after a kernel's 404 does not make good the kernel.
    const outcomes: unknown[] = [];
    for (const snap of [96, 128, 200, 1514]) {
      const out = join(tmp, `kernel-${snap}.pcap`);
      writeFileSync(out, ethernetPcap(frames, { snap }));
      const a = await analyzeCapture(out);
      outcomes.push([snap, a.findings.some((f) => f.code === 'http.error' && f.severity === 'error'), exitCodeFor(a), bootedDevices(a)]);
    }
    expect(outcomes).toEqual([96, 128, 200, 1514].map((snap) => [snap, true, 1, 0]));
  }, 60_000);

  it.each([SNAP_FULL, SCRIPT_404])('%s: booted, exit 0, whole and cut at 80–300 (the script and kernel bodies shown delivered by the sequence space and the client\'s ACKs)', async (cap) => {
    const outcomes: unknown[] = [];
    for (const snap of [80, 96, 128, 200, 300, 1514]) {
      const out = join(tmp, `delivered-${snap}.pcap`);
      writeFileSync(out, ethernetPcap(framesOf(cap), { snap }));
      const a = await analyzeCapture(out);
      outcomes.push([snap, bootedDevices(a), exitCodeFor(a)]);
    }
    expect(outcomes).toEqual([80, 96, 128, 200, 300, 1514].map((snap) => [snap, 1, 0]));
  }, 60_000);

  it('an initrd loaded after a kernel under a name no rule knows (Flatcar\'s) ends the chain: booted, exit 0', async () => {
    const out = join(tmp, 'kernel-unnamed.pcap');
    const frames = framesOf(KERNEL_UNNAMED);
    expect(frames.some((x) => Buffer.from(x.data).indexOf('GET /fcpxe.z') >= 0)).toBe(true);
    writeFileSync(out, ethernetPcap(frames, { snap: 65535 }));
    const a = await analyzeCapture(out);
    expect([bootedDevices(a), exitCodeFor(a)]).toEqual([1, 0]);
  }, 60_000);

  it.each([96, 200, 1514])('a capture of the server\'s side only raises no PMTU black hole at snap %i (the receiver\'s answers are not in it)', async (snap) => {
    const out = join(tmp, `server-only-${snap}.pcap`);
    writeFileSync(out, ethernetPcap(framesOf(SERVER_ONLY), { snap }));
    const a = await analyzeCapture(out);
    expect(a.findings.filter((f) => f.code === 'net.pmtu-blackhole')).toEqual([]);
  }, 60_000);

  it.each([200, 600])('a PMTU black hole (resends of a full-size segment, the receiver answering) is an error at snap %i', async (snap) => {
    const out = join(tmp, `blackhole-${snap}.pcap`);
    writeFileSync(out, ethernetPcap(loadFrames(join(CAPTURES, 'lab/mtu-http-blackhole.pcapng')), { snap }));
    const a = await analyzeCapture(out);
    expect(a.findings.filter((f) => f.code === 'net.pmtu-blackhole').map((f) => f.severity)).toEqual(['error']);
    expect(exitCodeFor(a)).toBe(1);
  }, 60_000);
});

describe('a body the capture\'s end broke off (whole frames)', () => {
  it('is incomplete, not malformed, and shows no rate over the burst it saw', async () => {
    const out = join(tmp, 'kernel-end-whole.pcap');
    writeFileSync(out, ethernetPcap(framesOf(KERNEL_END), { snap: 65535 }));
    const a = await analyzeCapture(out);
    expect(a.findings.filter((f) => f.code === 'decode.malformed')).toEqual([]);
    const kernel = a.clients.flatMap((c) => c.steps).find((s) => s.kind === 'http' && s.url.endsWith('/vmlinuz'));
    expect(kernel && kernel.kind === 'http' ? [kernel.complete, kernel.bytes > 0, kernel.throughput] : null).toEqual([false, true, null]);
  }, 60_000);
});
