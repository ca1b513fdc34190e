import { describe, it, expect } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { macFromString } from '../wire/bytes.js';
import { buildAck, buildData, buildError, buildOack, buildRrq } from '../wire/tftp.js';
import { Sim, dora, ipxeOptions, pxeOptions, tftpRead, SERVER, text, type Endpoint } from './sim.test-kit.js';
import type { Dhcp4Step, Dhcp6Step, HttpStep, ProxyDhcpStep, TftpStep } from './types.js';

const MAC = '52:54:00:00:0e:f1';
const CLIENT: Endpoint = { addr: '198.51.100.187', port: 1025, mac: MAC };

/** UEFI PXE → TFTP snponly.efi (probe + transfer) → iPXE DHCP → HTTP script and kernel. */
function cleanUefiChain(sim: Sim): void {
  dora(sim, { xid: 0xdf8841ff, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), file: 'ipxe.efi', siaddr: SERVER.addr });
  sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, buildRrq('ipxe.efi', 'octet', { tsize: 0, blksize: 1468, windowsize: 4 }), 0.2);
  const tid1 = { addr: SERVER.addr, port: 50001 };
  sim.tftp(tid1, CLIENT, buildOack({ blksize: 1468, tsize: 3000 }), 0.21);
  sim.tftp(CLIENT, tid1, buildError(8, 'User aborted the transfer'), 0.22);
  const c2 = { ...CLIENT, port: 1026 };
  tftpRead(sim, c2, SERVER.addr, 'ipxe.efi', 3000, { t: 0.3, request: { blksize: 1468, windowsize: 4 }, oack: { blksize: 1468 } });
  dora(sim, { xid: 0x1234, mac: MAC, yiaddr: CLIENT.addr, t: 2, client: ipxeOptions(7), server: [{ code: 67, value: 'http://198.51.100.1/boot.ipxe' }] });
  sim.http({ ...CLIENT, port: 40001 }, { addr: SERVER.addr, port: 80 }, '/boot.ipxe', 200, 120, { t: 3, host: '198.51.100.1' });
  sim.http({ ...CLIENT, port: 40002 }, { addr: SERVER.addr, port: 80 }, '/vmlinuz', 200, 5_000_000, { t: 3.1, host: '198.51.100.1', dt: 0.5 });
}

describe('BootChainBuilder: clean UEFI PXE → iPXE → HTTP chain', () => {
  const sim = new Sim();
  cleanUefiChain(sim);
  const a = sim.finish();
  const chain = a.clients[0]!;

  it('builds one chain keyed by chaddr, with steps in time order', () => {
    expect(a.clients.map((c) => c.mac)).toEqual([MAC]);
    expect(chain.steps.map((s) => s.kind)).toEqual(['dhcp4', 'tftp', 'tftp', 'dhcp4', 'http', 'http']);
    const starts = chain.steps.map((s) => s.start);
    expect([...starts].sort((x, y) => x - y)).toEqual(starts);
    expect(chain.arch).toBe(7);
    expect(chain.archName).toBe('x64 UEFI');
    expect(chain.vendorClass).toBe('PXEClient:Arch:00007:UNDI:003016');
  });

  it('decides stages and boot files per DHCP step', () => {
    const [fw, ipxe] = chain.steps.filter((s): s is Dhcp4Step => s.kind === 'dhcp4');
    expect(fw).toMatchObject({ stage: 'firmware', bootfile: 'ipxe.efi', nextServer: SERVER.addr, yiaddr: CLIENT.addr, server: SERVER.addr, ok: true, arch: 7, leaseTime: 600 });
    expect(fw!.messages).toEqual(['DISCOVER', 'OFFER', 'REQUEST', 'ACK']);
    expect(fw!.offers).toEqual([expect.objectContaining({ server: SERVER.addr, yiaddr: CLIENT.addr, proxy: false, bootfile: 'ipxe.efi' })]);
    expect(fw!.offers[0]!.delay).toBeCloseTo(0.01, 6);
    expect(ipxe).toMatchObject({ stage: 'ipxe', bootfile: 'http://198.51.100.1/boot.ipxe', userClass: ['iPXE'] });
    expect(ipxe!.ackOptions).toEqual([51, 53, 54, 67]);
  });

  it('separates the tsize probe from the transfer, with exact byte counts', () => {
    const [probe, xfer] = chain.steps.filter((s): s is TftpStep => s.kind === 'tftp');
    expect(probe).toMatchObject({ probe: true, ok: true, bytes: 0, tsize: 3000, error: { code: 8 } });
    expect(xfer).toMatchObject({
      file: 'ipxe.efi', server: SERVER.addr, probe: false, complete: true, ok: true, blksize: 1468, blocks: 3, bytes: 3000,
      retransmits: 0, requestedOptions: { blksize: '1468', windowsize: '4' }, acknowledgedOptions: { blksize: '1468' }, error: null,
    });
    expect(xfer!.throughput).toBeGreaterThan(0);
    expect(xfer!.frames.length).toBe(xfer!.frameCount);
  });

  it('builds HTTP steps with URL from Host, status, bytes and ttfb', () => {
    const [script, kernel] = chain.steps.filter((s): s is HttpStep => s.kind === 'http');
    expect(script).toMatchObject({ url: 'http://198.51.100.1/boot.ipxe', status: 200, bytes: 120, complete: true, ok: true, method: 'GET' });
    expect(kernel!.bytes).toBe(5_000_000);
    expect(kernel!.ttfb).toBeCloseTo(0.001, 6);
    expect(kernel!.throughput).toBeCloseTo(5_000_000 / 0.5, -3);
  });

  it('has no error or warning finding, booted, time to boot program = last fetch start', () => {
    expect(a.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(a.findings.map((f) => f.code).sort()).toEqual(['tftp.option-ignored', 'tftp.tsize-probe']);
    expect(chain.booted).toBe(true);
    expect(chain.timeToBootProgram).toBeCloseTo(3.1, 6);
    expect(a.summary).toMatchObject({ clients: 1, booted: 1, failed: 0, errors: 0, warnings: 0, infos: 2 });
    expect(a.summary.medianTimeToBootProgram).toBeCloseTo(3.1, 6);
  });
});

describe('BootChainBuilder: proxyDHCP', () => {
  it('merges the proxy offer boot file into the DHCP step and follows the 4011 exchange', () => {
    const sim = new Sim();
    const proxy: Endpoint = { addr: '198.51.100.2', port: 67 };
    const mac = '52:54:00:aa:00:01';
    const cli0: Endpoint = { addr: '0.0.0.0', port: 68, mac };
    sim.dhcp4(cli0, { addr: '255.255.255.255', port: 67 }, { xid: 7, chaddr: mac, options: [{ code: 53, value: 'DISCOVER' }, ...pxeOptions(0)] }, 0);
    sim.dhcp4(SERVER, { addr: '255.255.255.255', port: 68 }, { xid: 7, chaddr: mac, op: 2, yiaddr: '198.51.100.50', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] }, 0.1);
    sim.dhcp4(proxy, { addr: '255.255.255.255', port: 68 }, { xid: 7, chaddr: mac, op: 2, siaddr: proxy.addr, file: 'undionly.kpxe', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: proxy.addr }, { code: 60, value: 'PXEClient' }] }, 0.2);
    sim.dhcp4(cli0, { addr: '255.255.255.255', port: 67 }, { xid: 7, chaddr: mac, options: [{ code: 53, value: 'REQUEST' }, { code: 54, value: SERVER.addr }, ...pxeOptions(0)] }, 0.3);
    sim.dhcp4(SERVER, { addr: '255.255.255.255', port: 68 }, { xid: 7, chaddr: mac, op: 2, yiaddr: '198.51.100.50', options: [{ code: 53, value: 'ACK' }, { code: 54, value: SERVER.addr }] }, 0.4);
    const c4011: Endpoint = { addr: '198.51.100.50', port: 68, mac };
    sim.dhcp4(c4011, { addr: proxy.addr, port: 4011 }, { xid: 8, chaddr: mac, ciaddr: '198.51.100.50', options: [{ code: 53, value: 'REQUEST' }, ...pxeOptions(0)] }, 0.5);
    sim.dhcp4({ addr: proxy.addr, port: 4011 }, c4011, { xid: 8, chaddr: mac, op: 2, siaddr: proxy.addr, file: 'undionly.kpxe', options: [{ code: 53, value: 'ACK' }, { code: 54, value: proxy.addr }, { code: 60, value: 'PXEClient' }] }, 0.51);
    tftpRead(sim, { addr: '198.51.100.50', port: 2070, mac }, proxy.addr, 'undionly.kpxe', 700, { t: 0.6 });
    const a = sim.finish();
    const steps = a.clients[0]!.steps;
    expect(steps.map((s) => s.kind)).toEqual(['dhcp4', 'proxydhcp', 'tftp']);
    const d = steps[0] as Dhcp4Step;
    expect(d.offers.map((o) => [o.server, o.proxy])).toEqual([[SERVER.addr, false], [proxy.addr, true]]);
    expect(d.offers[1]!.bootfile).toBe('undionly.kpxe');
    expect(d).toMatchObject({ server: SERVER.addr, bootfile: 'undionly.kpxe', nextServer: proxy.addr, yiaddr: '198.51.100.50', stage: 'firmware' });
    expect(steps[1] as ProxyDhcpStep).toMatchObject({ ok: true, server: proxy.addr, bootfile: 'undionly.kpxe', messages: ['REQUEST', 'ACK'] });
    expect(steps[2] as TftpStep).toMatchObject({ complete: true, bytes: 700, blocks: 2 });
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.findings.map((f) => f.code)).not.toContain('dhcp.multiple-servers');
    // undionly.kpxe (iPXE) arrived; its own chain is not in the capture: not booted yet.
    expect(a.clients[0]!.attempts[0]).toMatchObject({ stage: 'boot-program', bootProgram: 'undionly.kpxe', outcome: 'incomplete' });
  });
});

describe('BootChainBuilder: callbacks', () => {
  it('calls onStep when a step opens; findings come in time order', () => {
    const opened: string[] = [];
    const sim = new Sim({
      onStep: (device, step) => opened.push(`${device.key} ${step.kind}`),
      thresholds: { slowOffer: 0.5 },
    });
    dora(sim, { xid: 1, mac: MAC, yiaddr: CLIENT.addr, t: 0, offerDelay: 0.7, client: pxeOptions(0), file: 'ipxe.efi' });
    tftpRead(sim, CLIENT, SERVER.addr, 'ipxe.efi', 10, { t: 1 });
    const a = sim.finish();
    expect(opened).toEqual([`${MAC} dhcp4`, `${MAC} tftp`]);
    expect(a.findings.map((f) => f.code)).toEqual(['dhcp.slow-offer', 'pxe.arch-mismatch']);
  });
});

describe('BootChainBuilder: relayed DHCP', () => {
  it('keys the chain by chaddr, not the relay MAC, and keeps giaddr and option 82 ids', () => {
    const sim = new Sim();
    const relay82 = Uint8Array.of(1, 6, ...text('Gi0/12'), 2, 6, ...macFromString('00:11:22:33:44:55'));
    dora(sim, { xid: 99, mac: '52:54:00:bb:00:02', yiaddr: '203.0.113.20', t: 0, giaddr: '203.0.113.1', relay82, frameMac: '00:aa:aa:aa:aa:aa', client: pxeOptions(7), file: 'snponly.efi' });
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac)).toEqual(['52:54:00:bb:00:02']);
    const d = a.clients[0]!.steps[0] as Dhcp4Step;
    expect(d.relay).toEqual({ giaddr: '203.0.113.1', circuitId: 'Gi0/12', remoteId: '001122334455' });
  });
});

describe('BootChainBuilder: attribution by address', () => {
  it('joins TFTP to the lease holder, lets a later lease of the address take over, and keys unknown addresses ip:<addr>', () => {
    const sim = new Sim();
    const addr = '198.51.100.60';
    dora(sim, { xid: 1, mac: '52:54:00:00:00:01', yiaddr: addr, t: 0, client: pxeOptions(0), file: 'undionly.kpxe' });
    tftpRead(sim, { addr, port: 2000 }, SERVER.addr, 'undionly.kpxe', 100, { t: 1 });
    dora(sim, { xid: 2, mac: '52:54:00:00:00:02', yiaddr: addr, t: 100, client: pxeOptions(0), file: 'undionly.kpxe' });
    tftpRead(sim, { addr, port: 2001 }, SERVER.addr, 'undionly.kpxe', 100, { t: 101 });
    tftpRead(sim, { addr: '198.51.100.99', port: 2002 }, SERVER.addr, 'pxelinux.0', 100, { t: 102 });
    const a = sim.finish();
    expect(a.clients.map((c) => [c.mac, c.steps.map((s) => s.kind).join(',')])).toEqual([
      ['52:54:00:00:00:01', 'dhcp4,tftp'],
      ['52:54:00:00:00:02', 'dhcp4,tftp'],
      ['ip:198.51.100.99', 'tftp'],
    ]);
  });

  it('keys DHCPv6 by the DUID-LL link address and joins traffic from the leased IA address', () => {
    const sim = new Sim();
    const mac = '52:54:00:cc:00:03';
    const duid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(mac) } };
    const sduid = { code: 2 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString('02:00:00:00:00:fe') } };
    const cli: Endpoint = { addr: 'fe80::5054:ff:fecc:3', port: 546 };
    const srv: Endpoint = { addr: 'fe80::1', port: 547 };
    const ia = { code: 3 as const, value: { iaid: 1, t1: 0, t2: 0, options: [{ code: 5 as const, value: { address: '2001:db8::100', preferred: 300, valid: 600, options: [] } }] } };
    const url = { code: 59 as const, value: 'http://[2001:db8::1]/ipxe.efi' };
    const arch = { code: 61 as const, value: [16] };
    sim.dhcp6(cli, { addr: 'ff02::1:2', port: 547 }, { msgType: 1, xid: 0x10, options: [duid, arch] }, 0);
    sim.dhcp6(srv, cli, { msgType: 2, xid: 0x10, options: [duid, sduid, ia, url] }, 0.1);
    sim.dhcp6(cli, { addr: 'ff02::1:2', port: 547 }, { msgType: 3, xid: 0x11, options: [duid, sduid, arch] }, 0.2);
    sim.dhcp6(srv, cli, { msgType: 7, xid: 0x11, options: [duid, sduid, ia, url] }, 0.3);
    sim.http({ addr: '2001:db8::100', port: 40000 }, { addr: '2001:db8::1', port: 80 }, '/ipxe.efi', 200, 1000, { t: 0.5 });
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac)).toEqual([mac]);
    const [d6, http] = a.clients[0]!.steps as [Dhcp6Step, HttpStep];
    expect(d6).toMatchObject({ kind: 'dhcp6', messages: ['SOLICIT', 'ADVERTISE', 'REQUEST', 'REPLY'], addresses: ['2001:db8::100'], bootfileUrl: 'http://[2001:db8::1]/ipxe.efi', arch: 16, ok: true });
    // No Host field in the sim's request: the address, in brackets (RFC 3986 §3.2.2).
    expect(http.url).toBe('http://[2001:db8::1]/ipxe.efi');
    expect(a.clients[0]!.attempts[0]).toMatchObject({ entry: 'pxe6', stage: 'boot-program', bootProgram: 'http://[2001:db8::1]/ipxe.efi' });
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe('BootChainBuilder: TFTP accounting', () => {
  it('counts retransmitted DATA and ACKs, unique bytes and the short last block', () => {
    const sim = new Sim();
    const c: Endpoint = { addr: '198.51.100.70', port: 3000 };
    const tid: Endpoint = { addr: SERVER.addr, port: 60000 };
    sim.tftp(c, { addr: SERVER.addr, port: 69 }, buildRrq('pxelinux.0'), 0);
    sim.tftp(tid, c, buildData(1, new Uint8Array(512)), 0.01);
    sim.tftp(tid, c, buildData(1, new Uint8Array(512)), 1.01); // lost ACK: server resends
    sim.tftp(c, tid, buildAck(1), 1.02);
    sim.tftp(c, tid, buildAck(1), 1.03); // duplicate ACK
    sim.tftp(tid, c, buildData(2, new Uint8Array(100)), 1.04);
    sim.tftp(c, tid, buildAck(2), 1.05);
    const a = sim.finish();
    const t = a.clients[0]!.steps[0] as TftpStep;
    expect(t).toMatchObject({ blocks: 2, bytes: 612, retransmits: 2, complete: true, blksize: 512, frameCount: 7 });
    expect(t.frames).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('unwraps block numbers past 65535 (rollover)', () => {
    const sim = new Sim();
    const c: Endpoint = { addr: '198.51.100.71', port: 3001 };
    const tid: Endpoint = { addr: SERVER.addr, port: 60001 };
    sim.tftp(c, { addr: SERVER.addr, port: 69 }, buildRrq('big.img', 'octet', { blksize: 8 }), 0);
    sim.tftp(tid, c, buildOack({ blksize: 8 }), 0.001);
    const data = new Uint8Array(8);
    for (let b = 1; b <= 65536 + 2; b++) sim.tftp(tid, c, buildData(b & 0xffff, b === 65538 ? data.subarray(0, 3) : data), 0.002);
    const t = sim.finish().clients[0]!.steps[0] as TftpStep;
    expect(t).toMatchObject({ blocks: 65538, bytes: 65537 * 8 + 3, retransmits: 0, complete: true });
    expect(t.frames.length).toBe(64);
    expect(t.frameCount).toBe(65540);
    expect(t.frames.slice(-2)).toEqual([65539, 65540]);
  });
});

describe('BootChainBuilder: memory stays bounded', () => {
  it('10,000 clients: heap grows per client, not per packet', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const run = (clients: number, blocks: number): number => {
      gc();
      const before = process.memoryUsage().heapUsed;
      const sim = new Sim({}, false);
      const data = Array.from({ length: blocks + 1 }, (_, b) => buildData(b, new Uint8Array(b === blocks ? 1 : 512)));
      const acks = Array.from({ length: blocks + 1 }, (_, b) => buildAck(b));
      const rrq = buildRrq('ipxe.efi');
      for (let i = 0; i < clients; i++) {
        const mac = `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
        const addr = `198.51.${100 + (i >> 8) % 2}.${i & 255}`;
        dora(sim, { xid: i + 1, mac, yiaddr: addr, t: i * 0.001, client: pxeOptions(7), file: 'ipxe.efi' });
        const c: Endpoint = { addr, port: 1024 + (i % 60000) };
        const tid: Endpoint = { addr: SERVER.addr, port: 30000 + (i % 30000) };
        sim.tftp(c, { addr: SERVER.addr, port: 69 }, rrq);
        for (let b = 1; b <= blocks; b++) {
          sim.tftp(tid, c, data[b]!);
          sim.tftp(c, tid, acks[b]!);
        }
      }
      const a = sim.finish();
      gc();
      const used = process.memoryUsage().heapUsed - before;
      expect(a.clients.length).toBe(clients);
      expect((a.clients[clients - 1]!.steps[1] as TftpStep).bytes).toBe((blocks - 1) * 512 + 1);
      return used;
    };
    const small = run(10_000, 2);
    const large = run(10_000, 20);
    // A chain with two steps and their frame lists: a few KB (the sim's TFTP tracker included).
    expect(small / 10_000).toBeLessThan(8_000);
    // Ten times the packets per client: frame lists grow to their cap (64 numbers), nothing else does.
    expect(large / 10_000).toBeLessThan(small / 10_000 + 1_500);
  }, 180_000);
});



describe('BootChainBuilder: transfers seen', () => {
  it('an HTTP exchange answered before anyone asked still counts (its queue is gone by then)', () => {
    const sim = new Sim();
    expect(sim.builder.transfersSeen).toBe(false);
    sim.http({ ...CLIENT, port: 40000 }, { addr: SERVER.addr, port: 80, mac: SERVER.mac }, '/boot.ipxe', 200, 300, { t: 1 });
    // A released session asks only when it retires devices: after the answer deleted the queue.
    expect(sim.builder.transfersSeen).toBe(true);
  });
});
