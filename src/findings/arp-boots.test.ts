/**
 * net.arp-unanswered across a device's boots: its ARP asks belong to the boot (attempt) that sent
 * them. Built from a real UEFI PXE boot (captures/lab/uefi-pxe-dnsmasq.pcapng: ROM, then iPXE over
 * HTTP), repeated as the same machine rebooting, seen whole or as a mirror port that gets only the
 * link's broadcasts (the DHCP, the ARP requests; never a unicast reply).
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ArpOperation, emitArp, ethernetIpv4Arp } from '../wire/arp.js';
import { emitEthernet, EtherType } from '../wire/ethernet.js';

const LAB = 'captures/lab/uefi-pxe-dnsmasq.pcapng';
const CLIENT_MAC = '52:54:00:00:0e:f1';
const CLIENT_IP = '198.51.100.187';
const NEXT_SERVER = '198.51.100.1';
/** Seconds between one boot's first frame and the next boot's (the machine reset after a minute). */
const BOOT_EVERY = 120;

type Frame = { time: number; data: Uint8Array };

const analyzeBytes = (bytes: Uint8Array): Promise<Analysis> =>
  analyzeCapture({ name: 'arp-boots.pcap', stream: Readable.from([Buffer.from(bytes)]) });

/** The ROM's ARP request for its next server, sent again (a dead server: PXE-E11 / PXE-E18). */
const askForServer = emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: CLIENT_MAC, vlans: [], etherType: EtherType.ARP },
  emitArp(ethernetIpv4Arp(ArpOperation.REQUEST, CLIENT_MAC, CLIENT_IP, '00:00:00:00:00:00', NEXT_SERVER)));

const lab = loadFrames(LAB);
const broadcastOnly = (f: Frame): boolean => (f.data[0]! & 1) === 1;

/** Boot `n` (0-based): the lab boot, all of it or up to the ROM's first ARP request for its
 *  next server (frame 11) and its retries 0.5, 1 and 2 s later (legacy PXE ROMs, EDK2). */
function boot(n: number, how: 'works' | 'server dead'): Frame[] {
  const shift = n * BOOT_EVERY;
  const frames = (how === 'works' ? lab : lab.slice(0, 11)).map((f) => ({ time: f.time + shift, data: f.data }));
  if (how === 'works') return frames;
  const ask = frames[10]!.time;
  return [...frames, ...[0.5, 1, 2].map((dt) => ({ time: ask + dt, data: askForServer }))];
}

const arpFindings = (a: Analysis) => a.findings.filter((f) => f.code === 'net.arp-unanswered' && f.client === CLIENT_MAC);

describe('net.arp-unanswered per boot', () => {
  it('a long broadcast-only capture: the third boot\'s PXE-E11 is found after two boots that worked', async () => {
    // Each boot that worked asks twice for its server (the ROM, then iPXE), the replies unseen.
    const frames = [...boot(0, 'works'), ...boot(1, 'works'), ...boot(2, 'server dead')].filter(broadcastOnly);
    const a = await analyzeBytes(ethernetPcap(frames));
    const found = arpFindings(a);
    expect(found).toHaveLength(1);
    const third = lab[10]!.time + 2 * BOOT_EVERY;
    expect(found[0]!.time).toBeCloseTo(third, 3);
    expect(found[0]!.severity).toBe('error');
  });

  it('a boot stopped by PXE-E11, then a boot that reached the server: the first boot\'s ask is not excused by the second', async () => {
    const a = await analyzeBytes(ethernetPcap([...boot(0, 'server dead'), ...boot(1, 'works')]));
    const found = arpFindings(a);
    expect(found).toHaveLength(1);
    expect(found[0]!.time).toBeCloseTo(lab[10]!.time, 3);
    // The second boot got its reply and loaded: nothing of it is blamed.
    expect(found[0]!.time).toBeLessThan(lab[0]!.time + BOOT_EVERY);
  });

  it('boots that worked, seen broadcast-only (single requests each boot, replies unseen): no finding', async () => {
    const frames = [0, 1, 2, 3].flatMap((n) => boot(n, 'works')).filter(broadcastOnly);
    const a = await analyzeBytes(ethernetPcap(frames));
    expect(arpFindings(a)).toEqual([]);
  });
});
