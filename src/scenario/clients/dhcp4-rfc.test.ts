// RFC 2131 behaviour of the DHCPv4 client, I/O-free with an injected clock and random source:
// retransmission backoff (§4.1), restart after a NAK (§3.1 step 5), INIT-REBOOT (§3.2).
import { describe, expect, it } from 'vitest';
import { asciiBytes, ipv4FromString, ipv4ToString, macToString } from '../../wire/bytes.js';
import { buildDhcpV4, emitDhcpV4, getOption, msgType, parseDhcpV4, type DhcpV4Message } from '../../wire/dhcpv4/index.js';
import { seededRandom as seeded } from '../../gen/rng.js';
import { Dhcp4Client } from './dhcp4.js';
import type { UdpDatagram } from './types.js';

const MAC = '52:54:00:12:34:56';
const SRV = '198.51.100.1';

function reply(req: DhcpV4Message, type: number, yiaddr: string): UdpDatagram {
  const payload = emitDhcpV4(buildDhcpV4({
    op: 2, xid: req.xid, yiaddr, siaddr: SRV, chaddr: macToString(req.chaddr, 0, 6),
    options: [{ code: 53, data: Uint8Array.of(type) }, { code: 54, data: ipv4FromString(SRV) },
      ...(type === 6 ? [{ code: 56, data: asciiBytes('address not available') }] : [{ code: 1, data: ipv4FromString('255.255.255.0') }])],
  }));
  return { src: { addr: SRV, port: 67 }, dst: { addr: '255.255.255.255', port: 68 }, payload, broadcast: true };
}

/** Runs the client against `serve` (null: silence) on a virtual clock; returns what was sent and when. */
function play(c: Dhcp4Client, serve: (m: DhcpV4Message) => UdpDatagram | null, limitS = 600) {
  const sent: Array<{ t: number; type: number | null; xid: number; requested: string | null }> = [];
  let now = 0;
  for (let i = 0; i < 1000 && c.done() === null && now <= limitS; i++) {
    for (const d of c.dispatch(now)) {
      const m = parseDhcpV4(d.payload, []);
      const r50 = getOption(m, 50);
      sent.push({ t: now, type: msgType(m), xid: m.xid, requested: r50 ? ipv4ToString(r50) : null });
      const answer = serve(m);
      if (answer) c.process(answer, now + 0.001);
    }
    const next = c.pollAt();
    if (next === null) break;
    now = Math.max(now, next);
  }
  return { sent, result: c.done() };
}

describe('DHCPv4 client retransmission (RFC 2131 §4.1)', () => {
  it('resends DISCOVER after 4, 8, 16 s, each ±1 s, then gives up after the bounded attempts', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const c = new Dhcp4Client({ mac: MAC, persona: 'uefi-x64', random: seeded(seed), maxAttempts: 4 });
      const { sent, result } = play(c, () => null);
      expect(sent.map((s) => s.type)).toEqual([1, 1, 1, 1]);
      const gaps = sent.slice(1).map((s, i) => s.t - sent[i]!.t);
      [4, 8, 16].forEach((base, i) => {
        expect(gaps[i]).toBeGreaterThanOrEqual(base - 1);
        expect(gaps[i]).toBeLessThanOrEqual(base + 1);
      });
      // The same xid throughout one exchange (§4.1).
      expect(new Set(sent.map((s) => s.xid)).size).toBe(1);
      expect(result?.ok).toBe(false);
      expect(result?.error).toMatch(/no OFFER after 4 DISCOVERs/);
    }
  });

  it('jitter differs between clients (no synchronized retransmission storm) and the timeout is capped', () => {
    const firstGap = (seed: number): number => {
      const { sent } = play(new Dhcp4Client({ mac: MAC, persona: 'bios', random: seeded(seed), maxAttempts: 2 }), () => null);
      return sent[1]!.t - sent[0]!.t;
    };
    expect(new Set([1, 2, 3, 4, 5].map(firstGap)).size).toBeGreaterThan(1);
    const { sent } = play(new Dhcp4Client({ mac: MAC, persona: 'bios', random: seeded(9), maxAttempts: 6, initialTimeout: 4, maxTimeout: 10 }), () => null, 1000);
    const gaps = sent.slice(1).map((s, i) => s.t - sent[i]!.t);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(11);
  });
});

describe('DHCPv4 client after a NAK (RFC 2131 §3.1, §3.2)', () => {
  it('restarts DORA with a new xid when the REQUEST is NAKed, and gets the address the second time', () => {
    let requests = 0;
    const c = new Dhcp4Client({ mac: MAC, persona: 'cisco', random: seeded(7) });
    const { sent, result } = play(c, (m) => {
      if (msgType(m) === 1) return reply(m, 2, '198.51.100.150');
      requests++;
      return requests === 1 ? reply(m, 6, '0.0.0.0') : reply(m, 5, '198.51.100.150');
    });
    expect(sent.map((s) => s.type)).toEqual([1, 3, 1, 3]);
    expect(sent[2]!.xid).not.toBe(sent[0]!.xid);
    expect(result).toMatchObject({ ok: true, address: '198.51.100.150', restarts: 1 });
    expect(result!.naks).toHaveLength(1);
    // The restart comes after a short random wait (< 0.5 s), not after a retransmission timeout.
    expect(sent[2]!.t - sent[1]!.t).toBeLessThan(0.5);
  });

  it('clients NAKed together start over at different times, later restarts waiting longer (bounded)', () => {
    // A busy server offered one address to several clients; NAKed together, clients that restart in
    // step are offered one address again (seen with dnsmasq under load: NAK after NAK until give-up).
    const restartGaps = (seed: number): number[] => {
      const c = new Dhcp4Client({ mac: MAC, persona: 'cisco', random: seeded(seed), maxRestarts: 3 });
      const { sent } = play(c, (m) => (msgType(m) === 1 ? reply(m, 2, '198.51.100.150') : reply(m, 6, '0.0.0.0')));
      const gaps: number[] = [];
      for (let i = 1; i < sent.length; i++) if (sent[i]!.type === 1) gaps.push(sent[i]!.t - sent[i - 1]!.t);
      return gaps;
    };
    const first = [1, 2, 3, 4, 5, 6].map((seed) => restartGaps(seed)[0]!);
    expect(new Set(first.map((g) => g.toFixed(6))).size).toBeGreaterThan(4);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const gaps = restartGaps(seed);
      expect(gaps).toHaveLength(3);
      gaps.forEach((g, k) => {
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThan(0.5 * 2 ** k + 0.01);
      });
    }
  });

  it('gives up after the bounded number of restarts when every REQUEST is NAKed', () => {
    const c = new Dhcp4Client({ mac: MAC, persona: 'cisco', random: seeded(8), maxRestarts: 2 });
    const { sent, result } = play(c, (m) => (msgType(m) === 1 ? reply(m, 2, '198.51.100.150') : reply(m, 6, '0.0.0.0')));
    expect(sent.filter((s) => s.type === 1)).toHaveLength(3);
    expect(result).toMatchObject({ ok: false, restarts: 2 });
    expect(result!.error).toMatch(/^NAK from 198\.51\.100\.1: address not available/);
  });

  it('INIT-REBOOT: asks for the remembered address without a server id; a NAK sends it to DORA', () => {
    const c = new Dhcp4Client({ mac: MAC, persona: 'uefi-x64', random: seeded(5), offerWindow: 0 }, { kind: 'dora', rebootAddress: '198.51.100.77' });
    const { sent, result } = play(c, (m) => {
      if (msgType(m) === 1) return reply(m, 2, '198.51.100.150');
      const want = ipv4ToString(getOption(m, 50)!);
      return want === '198.51.100.77' ? reply(m, 6, '0.0.0.0') : reply(m, 5, want);
    });
    expect(sent.map((s) => [s.type, s.requested])).toEqual([[3, '198.51.100.77'], [1, null], [3, '198.51.100.150']]);
    expect(result).toMatchObject({ ok: true, address: '198.51.100.150', restarts: 1 });
  });

  it('INIT-REBOOT that is ACKed keeps the remembered address (no DISCOVER)', () => {
    const c = new Dhcp4Client({ mac: MAC, persona: 'uefi-x64', random: seeded(6) }, { kind: 'dora', rebootAddress: '198.51.100.77' });
    const { sent, result } = play(c, (m) => reply(m, 5, ipv4ToString(getOption(m, 50)!)));
    expect(sent.map((s) => s.type)).toEqual([3]);
    expect(result).toMatchObject({ ok: true, address: '198.51.100.77', restarts: 0 });
  });

  it('INIT-REBOOT met with silence falls back to DORA after its retransmissions', () => {
    const c = new Dhcp4Client({ mac: MAC, persona: 'cisco', random: seeded(4), maxAttempts: 2 }, { kind: 'dora', rebootAddress: '198.51.100.77' });
    const { sent, result } = play(c, (m) => {
      if (msgType(m) === 3 && ipv4ToString(getOption(m, 50)!) === '198.51.100.77') return null;
      return msgType(m) === 1 ? reply(m, 2, '198.51.100.150') : reply(m, 5, '198.51.100.150');
    });
    expect(sent.map((s) => s.type)).toEqual([3, 3, 1, 3]);
    expect(result).toMatchObject({ ok: true, address: '198.51.100.150' });
  });
});
