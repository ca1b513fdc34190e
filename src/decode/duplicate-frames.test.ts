/**
 * Mirror-port copies (`duplicate-frames.ts`) on real frames: what counts as the same packet (VLAN
 * tag, TTL / hop limit and header checksum aside), the time window, the repeat that answers the
 * other end, and frames longer than a slab slot.
 */
import { describe, expect, it } from 'vitest';
import { loadFrames, type FixtureFrame } from '../../test/helpers/frames.js';
import { FrameDissector } from '../wire/frame/dissect.js';
import { FrameComposer } from '../wire/frame/compose.js';
import { LinkType } from '../wire/link-type.js';
import { EtherType } from '../wire/ethernet.js';
import { u16 } from '../wire/bytes.js';
import { DUPLICATE_DEPTH, DUPLICATE_LAYER, DUPLICATE_WINDOW_S, DuplicateFrameFilter } from './duplicate-frames.js';
import { mirrorCopy } from './duplicate-frames.test-kit.js';

const BOOT = loadFrames('captures/field/os-then-two-boots.pcapng');

/** Feeds frames in order; returns which were copies. */
function run(frames: readonly { data: Uint8Array; time: number; linkType?: number }[], filter = new DuplicateFrameFilter()): boolean[] {
  const d = new FrameDissector();
  return frames.map((f, i) => {
    d.dissect(f.linkType ?? LinkType.ETHERNET, f.data, []);
    return filter.isCopy(d, { frame: i + 1, time: f.time });
  });
}

const ofType = (type: number): FixtureFrame[] => BOOT.filter((f) => u16(f.data, 12) === type);
/** Frames of BOOT no two of which are copies of each other, even all at one time. */
const distinct = (): FixtureFrame[] => {
  const copies = run(BOOT.map((x) => ({ data: x.data, time: 0 })));
  return BOOT.filter((_, i) => !copies[i]);
};
/** Of those, the frames one host sent (so no frame in between answers another). */
const fromOneHost = (of: FixtureFrame): FixtureFrame[] => distinct().filter((x) => x.data.subarray(6, 12).every((b, k) => b === of.data[6 + k]));

describe('DuplicateFrameFilter', () => {
  it('a mirror copy (VLAN tag added, TTL / hop limit one less) of every IPv4 and IPv6 frame, 20 µs later, is a copy', () => {
    for (const type of [EtherType.IPV4, EtherType.IPV6]) {
      const frames = ofType(type);
      expect(frames.length).toBeGreaterThan(5);
      const fed = frames.flatMap((f) => [f, { data: mirrorCopy(f.data), time: f.time + 20e-6 }]);
      const copies = run(fed);
      expect(copies.filter((c, i) => c !== (i % 2 === 1))).toEqual([]);
    }
  });

  it('a frame repeated with one byte changed anywhere in its IP packet (but TTL / checksum) is no copy', () => {
    const f = ofType(EtherType.IPV4).find((x) => x.data.length > 300)!;
    const d = new FrameDissector();
    d.dissect(LinkType.ETHERNET, f.data, []);
    const end = d.ipOffset + d.ipLength;
    for (const at of [d.ipOffset, d.ipOffset + 4, d.ipOffset + 12, d.ipOffset + 40, Math.floor((d.ipOffset + end) / 2), end - 1]) {
      const changed = f.data.slice();
      changed[at]! ^= 0x01;
      expect(run([f, { data: changed, time: f.time }]), `byte ${at}`).toEqual([false, false]);
    }
    // The link header is not compared (other MACs: a routed mirror point), nor the padding after the IP packet.
    const relinked = f.data.slice();
    relinked[0]! ^= 0xff;
    expect(run([f, { data: relinked, time: f.time }])).toEqual([false, true]);
  });

  it(`copies count only within ${DUPLICATE_WINDOW_S * 1000} ms (either side) and among the last ${DUPLICATE_DEPTH} frames kept`, () => {
    const f = ofType(EtherType.IPV4)[0]!;
    expect(run([f, { data: f.data, time: f.time + DUPLICATE_WINDOW_S * 0.9 }])).toEqual([false, true]);
    expect(run([f, { data: f.data, time: f.time - DUPLICATE_WINDOW_S * 0.9 }])).toEqual([false, true]);
    expect(run([f, { data: f.data, time: f.time + DUPLICATE_WINDOW_S * 1.1 }])).toEqual([false, false]);
    // DEPTH other frames in between push the original out of reach.
    // (From f's sender: a frame of the other end in between would make the repeat a possible answer.)
    const others = fromOneHost(f).filter((x) => x !== f).slice(0, DUPLICATE_DEPTH).map((x) => ({ data: x.data, time: f.time }));
    expect(others).toHaveLength(DUPLICATE_DEPTH);
    expect(run([f, ...others.slice(0, DUPLICATE_DEPTH - 1), { data: f.data, time: f.time }]).at(-1)).toBe(true);
    expect(run([f, ...others, { data: f.data, time: f.time }]).at(-1)).toBe(false);
  });

  it('a repeat after the other end spoke is kept: a Neighbor Advertisement answering each of two Solicitations', () => {
    // captures/lab-v6/uefi-pxe6-dnsmasq.pcapng frames 16-19: NS (multicast), NA, NS (unicast), NA — the NAs byte for byte equal.
    const v6 = loadFrames('captures/lab-v6/uefi-pxe6-dnsmasq.pcapng');
    const [ns1, na1, ns2, na2] = v6.slice(15, 19);
    expect(na2!.data).toEqual(na1!.data);
    expect(run([ns1!, na1!, ns2!, na2!])).toEqual([false, false, false, false]);
    // Without the Solicitation in between, the same repeat is a copy.
    expect(run([ns1!, na1!, na2!])).toEqual([false, false, true]);
  });

  it('an IP packet whose length field does not delimit it (TSO/LSO total length 0, IPv6 payload length 0) is never a copy nor a candidate', () => {
    const d = new FrameDissector();
    for (const type of [EtherType.IPV4, EtherType.IPV6]) {
      // Unrelated frames of one host, their length field zeroed as a sender-side capture of TSO shows it.
      const mac = ofType(type)[0]!.data.subarray(6, 12);
      const zeroed = distinct().filter((f) => u16(f.data, 12) === type && f.data.subarray(6, 12).every((b, k) => b === mac[k])).slice(0, 4).map((f) => {
        const data = f.data.slice();
        const at = type === EtherType.IPV4 ? 14 + 2 : 14 + 4;
        data[at] = 0;
        data[at + 1] = 0;
        d.dissect(LinkType.ETHERNET, data, []);
        expect(d.ipVersion, `${type}`).toBe(type === EtherType.IPV4 ? 4 : 6);
        return { data, time: 0 };
      });
      expect(zeroed.length).toBeGreaterThan(1);
      expect(run(zeroed)).toEqual(zeroed.map(() => false));
      // Not remembered either: even the same frame again is kept.
      expect(run([zeroed[0]!, zeroed[0]!])).toEqual([false, false]);
    }
  });

  it('with no copy measured yet (all timestamps equal), a repeat after the other end spoke is an answer, kept', () => {
    const v6 = loadFrames('captures/lab-v6/uefi-pxe6-dnsmasq.pcapng');
    const [ns1, na1, ns2, na2] = v6.slice(15, 19).map((f) => ({ ...f, time: 0 }));
    expect(run([ns1!, na1!, ns2!, na2!])).toEqual([false, false, false, false]);
    expect(run([ns1!, na1!, na2!])).toEqual([false, false, true]);
  });

  it('after a clock jump nothing kept before is matched', () => {
    const f = ofType(EtherType.IPV4)[0]!;
    const filter = new DuplicateFrameFilter();
    expect(run([f], filter)).toEqual([false]);
    filter.clockJumped();
    expect(run([f, f], filter)).toEqual([false, true]);
  });

  it('not IP (ARP): equal from the end of the link header on', () => {
    const arp = ofType(EtherType.ARP);
    expect(arp.length).toBeGreaterThan(0);
    const a = arp[0]!;
    expect(run([a, { data: mirrorCopy(a.data), time: a.time }])).toEqual([false, true]);
    const changed = a.data.slice();
    changed[14 + 27]! ^= 1; // the target address
    expect(run([a, { data: changed, time: a.time }])).toEqual([false, false]);
  });

  it('frames longer than a slab slot (jumbo, GRO-merged) are kept and compared whole', () => {
    const c = new FrameComposer({ ipId: 7 });
    const addr = { srcMac: '52:54:00:00:00:01', dstMac: '52:54:00:00:00:02', srcIp: '198.51.100.1', dstIp: '198.51.100.2', hopLimit: 64 };
    const payload = new Uint8Array(9000).map((_, i) => i & 0xff);
    const big = c.udp(addr, 40000, 40001, payload);
    const other = new FrameComposer({ ipId: 7 }).udp(addr, 40000, 40001, payload.map((x, i) => (i === 8999 ? x ^ 1 : x)));
    expect(big.length).toBeGreaterThan(4096);
    expect(run([{ data: big, time: 0 }, { data: mirrorCopy(big), time: 0 }])).toEqual([false, true]);
    expect(run([{ data: big, time: 0 }, { data: other, time: 0 }])).toEqual([false, false]);
    // A short frame in the same slot afterwards, then the big one again: no stale bytes compared.
    const small = distinct().slice(0, DUPLICATE_DEPTH).map((x) => ({ data: x.data, time: 0 }));
    expect(run([{ data: big, time: 0 }, ...small, { data: big, time: 0 }, { data: big, time: 0 }]).slice(-2)).toEqual([false, true]);
  });

  it('the reader\'s buffer is reused: what is compared is the filter\'s own copy', () => {
    const first = ofType(EtherType.IPV4)[0]!;
    const frames = [first, fromOneHost(first).find((x) => x !== first && u16(x.data, 12) === EtherType.IPV4)!];
    const buf = new Uint8Array(2048);
    const d = new FrameDissector();
    const filter = new DuplicateFrameFilter();
    const feed = (data: Uint8Array, n: number): boolean => {
      buf.fill(0);
      buf.set(data);
      const view = buf.subarray(0, data.length);
      d.dissect(LinkType.ETHERNET, view, []);
      return filter.isCopy(d, { frame: n, time: 0 });
    };
    expect(feed(frames[0]!.data, 1)).toBe(false);
    expect(feed(frames[1]!.data, 2)).toBe(false);
    expect(feed(frames[0]!.data, 3)).toBe(true);
  });

  it('one warning names how many and the first copies', () => {
    const f = new DuplicateFrameFilter();
    expect(f.warnings()).toEqual([]);
    const fed = BOOT.slice(0, 20).flatMap((x) => [x, x]);
    run(fed, f);
    const w = f.warnings();
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ layer: DUPLICATE_LAYER, offset: 2 });
    expect(w[0]!.message).toMatch(/^20 frame\(s\) .*frames 2 \(of 1\), 4 \(of 3\).* and 15 more/);
  });
});
