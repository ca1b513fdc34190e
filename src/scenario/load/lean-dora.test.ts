/**
 * The lean DORA engine against the general runner on the in-memory network (virtual time): the same
 * storm — two servers (PXE prefers the one offering a boot file), lost DISCOVERs (retransmission),
 * NAKed REQUESTs (restart), silent MACs (timeouts), a renew and a release — reports the same counts,
 * servers and addresses on both. And which chains the lean engine takes.
 */
import { describe, expect, it } from 'vitest';
import { asciiBytes, ipv4FromString, ipv4ToString, macToString } from '../../wire/bytes.js';
import { buildDhcpV4, emitDhcpV4, getOption, msgType, parseDhcpV4 } from '../../wire/dhcpv4/index.js';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import type { UdpDatagram } from '../clients/types.js';
import type { FakeServer } from '../transport/memory.js';
import { LoopbackTransport } from '../transport/loopback.js';
import { leanGroup } from './lean-chain.js';
import { scenarioYaml, type ScenarioClientText } from '../scenario.test-kit.js';

const A = '198.51.100.1';
const B = '198.51.100.2';

/** MAC index (last two bytes) → what the servers do to it. */
const silent = (n: number): boolean => n % 11 === 3;
const dropFirstDiscover = (n: number): boolean => n % 5 === 1;
const nakFirstRequest = (n: number): boolean => n % 7 === 2;

interface Served { acks: Map<string, string>; discovers: number; naks: number; releases: number }

/** A DHCP server: A offers a boot file after 50 ms, B none after 1 ms (PXE clients must pick A). */
function server(addr: string, bootfile: boolean, served: Served, delayB = 0.001): FakeServer {
  const seen = new Set<string>();
  return {
    addr, ports: [67],
    handle: (d: UdpDatagram) => {
      const req = parseDhcpV4(d.payload, []);
      const mac = macToString(req.chaddr, 0, 6);
      const n = (req.chaddr[4]! << 8) | req.chaddr[5]!;
      const t = msgType(req);
      if (silent(n)) return [];
      if (t === 7) { if (addr === A) served.releases++; return []; }
      if (t === 1) {
        if (addr === A) served.discovers++;
        if (dropFirstDiscover(n) && !seen.has(`d${mac}`)) { seen.add(`d${mac}`); return []; }
      }
      const sid = getOption(req, 54);
      if (t === 3 && sid !== null && ipv4ToString(sid) !== addr) return []; // another server's offer was taken
      let type = t === 1 ? 2 : 5;
      if (t === 3 && sid !== null && nakFirstRequest(n) && !seen.has(`n${mac}`)) { seen.add(`n${mac}`); type = 6; served.naks++; }
      const yiaddr = `${addr === A ? '198.51.100' : '203.0.113'}.${10 + (n % 200)}`;
      if (type === 5) served.acks.set(mac, yiaddr);
      const payload = emitDhcpV4(buildDhcpV4({
        op: 2, xid: req.xid, yiaddr: type === 6 ? '0.0.0.0' : yiaddr, siaddr: addr, chaddr: mac,
        options: [{ code: 53, data: Uint8Array.of(type) }, { code: 54, data: ipv4FromString(addr) }, { code: 51, data: Uint8Array.of(0, 0, 14, 16) },
          { code: 1, data: ipv4FromString('255.255.255.0') }, ...(bootfile && type !== 6 ? [{ code: 67, data: asciiBytes('ipxe.efi') }] : [])],
      }));
      return [{ datagram: { src: { addr, port: 67 }, dst: { addr: '255.255.255.255', port: 68 }, payload, broadcast: true }, delay: addr === A ? 0.05 : delayB }];
    },
  };
}

/** UEFI clients running `steps` arriving at 50/s, among them a third as many phones. */
function storm(steps: readonly string[], count: number): string {
  return loadScenario('lean', 64, [
    { name: 'pc', persona: 'uefi-x64', mac: `{ mac: "52:54:00:20:00:00", count: ${count} }`, steps },
    { name: 'phone', persona: 'cisco', weight: 1, mac: `{ mac: "00:1b:54:21:00:00", count: ${Math.round(count / 3)} }`, steps: ['dhcp: { within: 12s }'] },
  ]);
}

/** Clients arriving at 50/s, at most `concurrency` at once. */
function loadScenario(name: string, concurrency: number, clients: ScenarioClientText[]): string {
  return scenarioYaml({ name, budget: '300s', load: `{ arrival: 50/s, concurrency: ${concurrency} }`, clients });
}

async function play(yaml: string, engine: 'lean' | 'general', delayB?: number) {
  const clock = new FakeClock(1000);
  const served: Served = { acks: new Map(), discovers: 0, naks: 0, releases: 0 };
  const transport = new LoopbackTransport(clock, { udp: [server(A, true, served), server(B, false, served, delayB)], tcp: [] });
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const r = await runScenarios([parseScenario(yaml, 'lean.yaml')], {
    transport, clock, random, target: { server: A }, loadHooks: { wallClock: () => 0, engine },
  });
  return { s: r.scenarios[0]!, served };
}

function counts(k: { ok: number; failed: number; timedOut: number; servers: Record<string, number> } | undefined) {
  return k === undefined ? undefined : { ok: k.ok, failed: k.failed, timedOut: k.timedOut, servers: k.servers };
}

describe('lean DORA engine', () => {
  it('reports what the general runner reports: counts, servers, addresses, retransmissions, NAK restarts, timeouts', async () => {
    const yaml = storm(['dhcp: { within: 12s, expect: { type: ack, yiaddr: 198.51.100.0/24 } }', 'renew: { within: 5s }', 'release'], 120);
    const lean = await play(yaml, 'lean');
    const general = await play(yaml, 'general');
    const l = lean.s.load!;
    const g = general.s.load!;
    expect(l.clients).toMatchObject({ started: 160, notStarted: 0 });
    expect({ ...l.clients, peakInFlight: 0, arrivalsPerSecond: 0 }).toEqual({ ...g.clients, peakInFlight: 0, arrivalsPerSecond: 0 });
    for (const kind of ['dora', 'renew', 'release', 'chain'] as const) expect(counts(l.kinds[kind]), kind).toEqual(counts(g.kinds[kind]));
    for (const name of ['pc', 'phone']) {
      for (const kind of ['dora', 'renew', 'release', 'chain'] as const) expect(counts(l.groups![name]!.kinds[kind]), `${name} ${kind}`).toEqual(counts(g.groups![name]!.kinds[kind]));
    }
    // The same address for every MAC: PXE clients took A's offer (a boot file), phones B's (the first).
    expect([...lean.served.acks].sort()).toEqual([...general.served.acks].sort());
    expect(lean.served.naks).toBe(general.served.naks);
    expect(lean.served.naks).toBeGreaterThan(0);
    expect(lean.served.releases).toBe(general.served.releases);
    // Lost DISCOVERs were sent again: more DISCOVERs than clients (restarts add some too).
    expect(lean.served.discovers).toBe(general.served.discovers);
    // Silent MACs time out on both, and the kept clients show the lean engine played them.
    expect(l.kinds.dora!.timedOut).toBeGreaterThan(0);
    expect(l.kinds.dora!.servers[A]).toBeGreaterThan(0);
    expect(l.kinds.dora!.servers[B]).toBeGreaterThan(0);
    expect(l.failures.map((f) => [f.kind, f.count])).toEqual(g.failures.map((f) => [f.kind, f.count]));
    expect(lean.s.clients.length).toBeGreaterThan(0);
    expect(lean.s.clients[0]!.steps.find((st) => !st.ok && st.error !== 'not run: step 1 failed')?.details).toMatchObject({ engine: 'lean' });
    expect(general.s.clients[0]!.steps[0]!.details).not.toHaveProperty('engine');
    // Latencies on the same order (virtual time: the servers' delays, retransmissions).
    expect(l.kinds.dora!.latencyMs!.p50).toBeCloseTo(g.kinds.dora!.latencyMs!.p50, 0);
  });

  it('a server that never answers: the last clients still time out after arrivals end (the run ends)', async () => {
    // Nobody answers, so no reply re-arms the engine's timer once the last client has arrived.
    const yaml = loadScenario('lean-silent', 64, [{ name: 'pc', persona: 'uefi-x64', mac: '{ mac: "52:54:00:30:00:00", count: 5 }', steps: ['dhcp: { within: 12s }'] }]);
    for (const engine of ['lean', 'general'] as const) {
      const clock = new FakeClock(1000);
      const transport = new LoopbackTransport(clock, { udp: [{ addr: A, ports: [67], handle: () => [] }], tcp: [] });
      const run = runScenarios([parseScenario(yaml, 'lean-silent.yaml')], {
        transport, clock, random: () => 0.5, target: { server: A }, loadHooks: { wallClock: () => 0, engine },
      });
      const r = await Promise.race([run, new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000))]);
      expect(r, `${engine}: the run did not end`).not.toBeNull();
      expect(counts(r!.scenarios[0]!.load!.kinds.dora), engine).toEqual({ ok: 0, failed: 0, timedOut: 5, servers: {} });
    }
  });

  it('a budget overrun fails the step with its latency recorded, on both engines alike', async () => {
    // B answers each message after 20 ms: a DORA takes about 40 ms, over its 30 ms budget but within twice it.
    const yaml = storm(['dhcp: { within: 30ms, offer-window: 0s }'], 30);
    const l = (await play(yaml, 'lean', 0.02)).s.load!;
    const g = (await play(yaml, 'general', 0.02)).s.load!;
    expect(counts(l.kinds.dora)).toEqual(counts(g.kinds.dora));
    expect(l.kinds.dora!.failed, JSON.stringify([l.kinds.dora!.latencyMs, l.failures])).toBeGreaterThan(0);
    expect(l.failures[0]!.message).toMatch(/took N s, budget N s/);
  });

  it('lets go of the transport when it ends: load runs on one transport leave no receive handler behind', async () => {
    const yaml = storm(['dhcp: { within: 12s }'], 6);
    const clock = new FakeClock(1000);
    const served: Served = { acks: new Map(), discovers: 0, naks: 0, releases: 0 };
    const transport = new LoopbackTransport(clock, { udp: [server(A, true, served), server(B, false, served)], tcp: [] });
    const run = async (): Promise<number> => {
      const r = await runScenarios([parseScenario(yaml, 'lean.yaml')], {
        transport, clock, random: () => 0.5, target: { server: A }, loadHooks: { wallClock: () => 0, engine: 'lean' },
      });
      expect(r.scenarios[0]!.load!.kinds.dora!.ok).toBeGreaterThan(0);
      return transport.udpHandlerCount;
    };
    const first = await run();
    expect(await run()).toBe(first);
    expect(await run()).toBe(first);
    expect(first).toBeLessThanOrEqual(1); // the driver's router only
  });

  it('an ACK without an address (yiaddr 0) keeps the lease: later RENEW/RELEASE carry it as ciaddr; none at all fails as on the general runner', async () => {
    // The DORA ACK has an address for even MAC indexes, none for odd ones; every RENEW's ACK has none.
    const ciaddrs = new Map<string, string[]>();
    const zeroAck: FakeServer = {
      addr: A, ports: [67],
      handle: (d: UdpDatagram) => {
        const req = parseDhcpV4(d.payload, []);
        const mac = macToString(req.chaddr, 0, 6);
        const n = req.chaddr[5]!;
        const t = msgType(req);
        const ci = ipv4ToString(req.ciaddr);
        if (t === 7 || (t === 3 && ci !== '0.0.0.0')) ciaddrs.set(mac, [...(ciaddrs.get(mac) ?? []), `${t}:${ci}`]);
        if (t !== 1 && t !== 3) return [];
        const yiaddr = t === 1 || (getOption(req, 50) !== null && n % 2 === 0) ? `198.51.100.${10 + n}` : '0.0.0.0';
        const payload = emitDhcpV4(buildDhcpV4({
          op: 2, xid: req.xid, yiaddr, siaddr: A, chaddr: mac,
          options: [{ code: 53, data: Uint8Array.of(t === 1 ? 2 : 5) }, { code: 54, data: ipv4FromString(A) }, { code: 1, data: ipv4FromString('255.255.255.0') }],
        }));
        return [{ datagram: { src: { addr: A, port: 67 }, dst: { addr: '255.255.255.255', port: 68 }, payload, broadcast: true } }];
      },
    };
    const yaml = loadScenario('lean-zero', 8, [
      { name: 'pc', persona: 'uefi-x64', mac: '{ mac: "52:54:00:50:00:00", count: 4 }', steps: ['dhcp: { offer-window: 0s }', 'renew', 'renew', 'release'] },
    ]);
    const results = [];
    for (const engine of ['general', 'lean'] as const) {
      ciaddrs.clear();
      const clock = new FakeClock(1000);
      const transport = new LoopbackTransport(clock, { udp: [zeroAck], tcp: [] });
      const r = await runScenarios([parseScenario(yaml, 'lean-zero.yaml')], {
        transport, clock, random: () => 0.5, target: { server: A }, loadHooks: { wallClock: () => 0, engine },
      });
      const l = r.scenarios[0]!.load!;
      results.push({ sent: new Map(ciaddrs), renew: counts(l.kinds.renew), release: counts(l.kinds.release), chain: counts(l.kinds.chain), failures: l.failures.map((f) => [f.kind, f.count, f.message]) });
    }
    const [general, lean] = results;
    // Even MACs: both RENEWs and the RELEASE carry the DORA address, though each RENEW's ACK had none.
    for (const n of [0, 2]) {
      const addr = `198.51.100.${10 + n}`;
      expect(general!.sent.get(`52:54:00:50:00:0${n}`)).toEqual([`3:${addr}`, `3:${addr}`, `7:${addr}`]);
    }
    // Odd MACs: no lease at all, so no RENEW is sent and the renew step fails.
    expect(general!.sent.has('52:54:00:50:00:01')).toBe(false);
    expect(general!.failures).toEqual([['renew', 2, expect.stringMatching(/needs a lease/)]]);
    expect(lean).toEqual(general);
  });

  it('takes DHCPv4-only chains and leaves the rest to the general runner', () => {
    const group = (steps: string, persona = 'uefi-x64'): boolean => {
      const s = parseScenario(`name: x\nbudget: 10s\nclients:\n  - persona: ${persona}\n    mac: "52:54:00:00:00:01"\n    steps:\n${steps}\n`, 'x.yaml');
      return leanGroup(s.clients[0]!) !== null;
    };
    expect(group('      - dhcp')).toBe(true);
    expect(group('      - dhcp: { within: 1s, offer-window: 0s, expect: { type: ack } }\n      - renew\n      - release')).toBe(true);
    expect(group('      - dhcp', 'cisco')).toBe(true);
    expect(group('      - dhcp', 'ipxe')).toBe(true);
    expect(group('      - dhcp\n      - tftp: { file: ipxe.efi }')).toBe(false);
    expect(group('      - dhcp: { save: { addr: yiaddr } }')).toBe(false);
    expect(group('      - dhcp: { expect: { bootfile: ipxe.efi } }')).toBe(false);
    expect(group('      - dhcp: { options: { 12: "${client}" } }')).toBe(false);
    expect(group('      - release\n      - dhcp')).toBe(false);
    expect(group('      - dhcp\n      - release\n      - renew')).toBe(false);
    expect(group('      - dhcp6', 'uefi-x64-v6')).toBe(false);
  });
});
