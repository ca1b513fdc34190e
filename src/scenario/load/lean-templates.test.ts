/**
 * The lean engine's patched templates are byte for byte what Dhcp4Client (the general runner) sends:
 * DISCOVER, REQUEST (with and without option 54), RENEW and RELEASE of every persona, both engines
 * on the in-memory network, xid and secs zeroed (xid is random on both; secs is time).
 */
import { describe, expect, it } from 'vitest';
import { ipv4FromString, ipv4ToString, macToString, putU16, putU32, u32 } from '../../wire/bytes.js';
import { buildDhcpV4, emitDhcpV4, F, getOption, msgType, parseDhcpV4 } from '../../wire/dhcpv4/index.js';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import { PERSONAS } from '../personas.js';
import type { UdpDatagram } from '../clients/types.js';
import type { FakeServer } from '../transport/memory.js';
import { LoopbackTransport } from '../transport/loopback.js';
import { leanGroup } from './lean-chain.js';

const A = '198.51.100.1';
const MAC = '52:54:00:40:00:07';

/** A server that offers and ACKs 198.51.100.20, with or without option 54. */
function server(withServerId: boolean): FakeServer {
  return {
    addr: A, ports: [67],
    handle: (d: UdpDatagram) => {
      const req = parseDhcpV4(d.payload, []);
      const t = msgType(req);
      if (t !== 1 && t !== 3) return [];
      const payload = emitDhcpV4(buildDhcpV4({
        op: 2, xid: req.xid, yiaddr: '198.51.100.20', siaddr: A, chaddr: macToString(req.chaddr, 0, 6),
        options: [{ code: 53, data: Uint8Array.of(t === 1 ? 2 : 5) }, ...(withServerId ? [{ code: 54, data: ipv4FromString(A) }] : []),
          { code: 51, data: Uint8Array.of(0, 0, 14, 16) }, { code: 1, data: ipv4FromString('255.255.255.0') }],
      }));
      return [{ datagram: { src: { addr: A, port: 67 }, dst: { addr: '255.255.255.255', port: 68 }, payload, broadcast: true } }];
    },
  };
}

/** What one engine sent: each DHCP message with xid and secs zeroed, named, with where it went. */
async function sent(persona: string, hostname: boolean, withServerId: boolean, engine: 'lean' | 'general'): Promise<string[]> {
  const yaml = `
name: tpl
budget: 60s
load: { arrival: 10/s, concurrency: 4 }
clients:
  - name: c
    persona: ${persona}
${hostname ? '    hostname: ws-7\n' : ''}    mac: { mac: "${MAC}", count: 1 }
    steps:
      - dhcp: { offer-window: 0s }
      - renew
      - release
`;
  const scenario = parseScenario(yaml, 'tpl.yaml');
  expect(leanGroup(scenario.clients[0]!), `${persona}: the lean engine takes the group`).not.toBeNull();
  const clock = new FakeClock(1000);
  const transport = new LoopbackTransport(clock, { udp: [server(withServerId)], tcp: [] });
  let seed = 11;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const r = await runScenarios([scenario], { transport, clock, random, target: { server: A }, loadHooks: { wallClock: () => 0, engine } });
  expect(r.scenarios[0]!.load!.kinds.chain, `${persona} ${engine}`).toMatchObject({ ok: 1 });
  return transport.sent.filter((s) => s.datagram.dst.port === 67).map((s) => {
    const b = s.datagram.payload.slice();
    putU32(b, F.XID, 0);
    putU16(b, F.SECS, 0);
    const m = parseDhcpV4(b, []);
    const name = msgType(m) === 3 && u32(b, F.CIADDR) !== 0 ? 'RENEW' : String(msgType(m));
    const sid = getOption(m, 54);
    return `${name} to ${s.datagram.dst.addr} from ${s.datagram.src.addr} bcast=${s.datagram.broadcast} 54=${sid ? ipv4ToString(sid) : '-'} ${Buffer.from(b).toString('hex')}`;
  });
}

describe('lean DORA templates', () => {
  it('are byte-identical to Dhcp4Client messages for every persona (xid, secs aside)', async () => {
    for (const persona of PERSONAS) {
      for (const [hostname, withServerId] of [[false, true], [true, false]] as const) {
        const general = await sent(persona, hostname, withServerId, 'general');
        const lean = await sent(persona, hostname, withServerId, 'lean');
        // DISCOVER, REQUEST, RENEW, RELEASE: one of each (no loss, no retransmission).
        expect(general.map((s) => s.split(' ')[0]), persona).toEqual(['1', '3', 'RENEW', '7']);
        expect(lean, `${persona} hostname=${hostname} option54=${withServerId}`).toEqual(general);
      }
    }
  });
});
