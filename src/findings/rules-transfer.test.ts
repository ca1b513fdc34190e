import { describe, it, expect } from 'vitest';
import { buildAck, buildData, buildError, buildOack, buildRrq } from '../wire/tftp.js';
import { Sim, dora, pxeOptions, SERVER, type Endpoint } from '../flow/sim.test-kit.js';
import { icmpUnreachable } from '../flow/icmp.test-kit.js';

const MAC = '52:54:00:8e:41:30';
const ADDR = '198.51.100.130';
const PHONE: Endpoint = { addr: ADDR, port: 3000, mac: MAC };
const S69: Endpoint = { addr: SERVER.addr, port: 69 };
const PHONE_DHCP = [{ code: 60, value: 'Cisco Systems, Inc. IP Phone CP-8841' }, { code: 55, value: [1, 3, 6, 66, 150] }];

function notFound(sim: Sim, file: string, t: number, tid: number): void {
  sim.tftp(PHONE, S69, buildRrq(file, 'octet', { tsize: 0 }), t);
  sim.tftp({ addr: SERVER.addr, port: tid }, PHONE, buildError(1, 'File not found'), t + 0.001);
}

describe('tftp.error the client went on past', () => {
  it('a phone whose CTL/ITL files are absent and whose config download the capture cut: incomplete, no error', () => {
    const sim = new Sim();
    dora(sim, { xid: 7, mac: MAC, yiaddr: ADDR, t: 0, client: PHONE_DHCP, server: [{ code: 150, value: [SERVER.addr] }] });
    notFound(sim, 'CTLSEP5254008E4130.tlv', 1, 50001);
    notFound(sim, 'ITLSEP5254008E4130.tlv', 1.05, 50002);
    sim.tftp(PHONE, S69, buildRrq('SEP5254008E4130.cnf.xml', 'octet', { tsize: 0 }), 1.1);
    sim.tftp({ addr: SERVER.addr, port: 50003 }, PHONE, buildOack({ tsize: 2036 }), 1.101);
    const a = sim.finish(); // the capture stops here (snap of `short`: the last third dropped)
    const errors = a.findings.filter((f) => f.code === 'tftp.error');
    expect(errors.map((f) => f.severity)).toEqual(['warning', 'warning']);
    expect(errors[0]!.message).toContain('optional security file');
    expect(a.summary.errors).toBe(0);
    expect(a.clients[0]!.outcome).toBe('incomplete');
  });

  it('an error that ends the requests (the same file asked again, or nothing after) stays an error', () => {
    const sim = new Sim();
    dora(sim, { xid: 8, mac: MAC, yiaddr: ADDR, t: 0, client: PHONE_DHCP, server: [{ code: 150, value: [SERVER.addr] }] });
    notFound(sim, 'SEP5254008E4130.cnf.xml', 1, 50001);
    notFound(sim, 'SEP5254008E4130.cnf.xml', 5, 50002);
    sim.tftp(PHONE, { addr: SERVER.addr, port: 50002 }, buildAck(0), 5.01);
    const a = sim.finish({ end: 60 });
    expect(a.findings.filter((f) => f.code === 'tftp.error').some((f) => f.severity === 'error')).toBe(true);
    expect(a.summary.errors).toBeGreaterThan(0);
  });
});

describe('net.port-unreachable on a transfer the capture cut', () => {
  /** A server answering from port 69 whose host refuses the client's ACKs; `blocks` of 3 sent. */
  function port69Transfer(blocks: number): Sim {
    const sim = new Sim();
    dora(sim, { xid: 0x22, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), file: 'pxelinux.0', siaddr: SERVER.addr });
    const c: Endpoint = { addr: ADDR, port: 2071 };
    sim.tftp(c, S69, buildRrq('pxelinux.0'), 1);
    for (let b = 1; b <= blocks; b++) {
      sim.tftp(S69, c, buildData(b, new Uint8Array(b < 3 ? 512 : 100)), sim.now + 0.01);
      const ack = buildAck(b);
      sim.tftp(c, S69, ack, sim.now + 0.01);
      if (b < blocks) icmpUnreachable(sim, SERVER.addr, c, S69, ack, 3, sim.now + 0.001);
    }
    return sim;
  }

  it('the ICMPs came while blocks kept coming: a warning, and the attempt is incomplete, not failed', () => {
    // Blocks 1 and 2 of 3, an ICMP after ACK 1, block 2 after it: the capture ends mid-transfer.
    const a = port69Transfer(2).finish();
    const icmp = a.findings.filter((f) => f.code === 'net.port-unreachable');
    expect(icmp.map((f) => f.severity)).toEqual(['warning']);
    expect(icmp[0]!.message).toContain('went on after them');
    expect(a.summary.errors).toBe(0);
    expect(a.clients[0]!.outcome).toBe('incomplete');
  });

  it('an ICMP after which the transfer never moved again stays the error', () => {
    const sim = port69Transfer(1);
    const ack = buildAck(1);
    icmpUnreachable(sim, SERVER.addr, { addr: ADDR, port: 2071 }, S69, ack, 3, sim.now + 0.001);
    const a = sim.finish({ end: 60 });
    expect(a.findings.filter((f) => f.code === 'net.port-unreachable').map((f) => f.severity)).toContain('error');
  });
});
