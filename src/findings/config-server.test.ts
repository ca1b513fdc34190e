/**
 * A device's config servers are what its DHCP named: option 150's addresses (Cisco phones), option
 * 66 or siaddr, else the DHCP server. Whether the capture can show the device's fetch, and so
 * whether its silence or its reboots judge it, depends on their traffic being in the capture, not on
 * other devices' transfers to other servers.
 */
import { describe, expect, it } from 'vitest';
import { Sim, dora, pxeOptions, tftpRead, type Endpoint } from '../flow/sim.test-kit.js';
import type { Analysis } from '../analysis/types.js';

const PHONE = '52:54:00:8e:41:31';
const OTHER = '52:54:00:8e:41:32';
const DHCP_SERVER = '198.51.100.1';
const TFTP_150 = '198.51.100.20';
const cisco = [{ code: 60, value: 'Cisco Systems, Inc. IP Phone CP-8841' }, { code: 55, value: [1, 3, 6, 66, 150] }];

const ofPhone = (a: Analysis) => a.findings.filter((f) => f.client === PHONE);

/** A Cisco phone given only option 150 (siaddr 0.0.0.0) provisioning 3 times 300 s apart and never
 *  fetching; another phone in the capture fetches its config from `otherFetchesFrom`. */
function phoneLoop(otherFetchesFrom: string): Analysis {
  const sim = new Sim();
  for (const [i, t] of [0, 300, 600].entries()) {
    dora(sim, { xid: 0x100 + i, mac: PHONE, yiaddr: '198.51.100.131', t, client: cisco, serverAddr: DHCP_SERVER, server: [{ code: 150, value: [TFTP_150] }] });
  }
  dora(sim, { xid: 0x200, mac: OTHER, yiaddr: '198.51.100.132', t: 610, client: cisco, serverAddr: DHCP_SERVER, server: [{ code: 150, value: [otherFetchesFrom] }] });
  tftpRead(sim, { addr: '198.51.100.132', port: 50000, mac: OTHER }, otherFetchesFrom, 'SEP5254008E4132.cnf.xml', 3000, { t: 611 });
  return sim.finish({ end: 700 });
}

describe('option 150: a phone\'s config servers', () => {
  it('the flow facts keep option 150\'s addresses', () => {
    const phone = phoneLoop(TFTP_150).clients.find((c) => c.mac === PHONE)!;
    const dhcp = phone.steps.filter((s) => s.kind === 'dhcp4');
    expect(dhcp.map((s) => s.tftpServers)).toEqual([[TFTP_150], [TFTP_150], [TFTP_150]]);
  });

  it('its option-150 server\'s traffic is in the capture and the phone never went to it: its provisionings are judged, stopped', () => {
    const a = phoneLoop(TFTP_150);
    expect(ofPhone(a).some((f) => f.code === 'boot.stopped' && f.severity === 'error')).toBe(true);
    expect(ofPhone(a).some((f) => f.message.includes('no traffic to its config server'))).toBe(false);
  });

  it('only the DHCP server\'s traffic is in the capture, not its option-150 server\'s: unjudged, with a warning naming that server', () => {
    const a = phoneLoop(DHCP_SERVER);
    expect(ofPhone(a).filter((f) => f.severity === 'error')).toEqual([]);
    const warn = ofPhone(a).filter((f) => f.code === 'boot.stopped');
    expect(warn.map((f) => f.severity)).toEqual(['warning']);
    expect(warn[0]!.message).toContain(`config server ${TFTP_150}`);
  });
});

describe('silence after the last attempt judges it only when the capture can show the device\'s fetch', () => {
  const MAC = '52:54:00:00:00:41';
  const NEXT = '198.51.100.30';
  /** A PXE client told next-server NEXT, then silent for 60 s; another client's transfer is from `otherServer`. */
  function silentAfterDhcp(otherServer: string, named: 'siaddr' | 'url' = 'siaddr'): Analysis {
    const sim = new Sim();
    const boot = named === 'siaddr' ? { siaddr: NEXT, file: 'snponly.efi' } : { file: `http://${NEXT}/boot/snponly.efi` };
    dora(sim, { xid: 0x300, mac: MAC, yiaddr: '198.51.100.141', t: 0, client: pxeOptions(7), serverAddr: DHCP_SERVER, ...boot });
    const other: Endpoint = { addr: '198.51.100.142', port: 50001, mac: '52:54:00:00:00:42' };
    dora(sim, { xid: 0x301, mac: other.mac!, yiaddr: other.addr, t: 1, client: pxeOptions(7), serverAddr: DHCP_SERVER, siaddr: otherServer, file: 'snponly.efi' });
    tftpRead(sim, other, otherServer, 'snponly.efi', 3000, { t: 2 });
    return sim.finish({ end: 60 });
  }
  const stopped = (a: Analysis) => a.findings.filter((f) => f.client === MAC && f.code === 'boot.stopped' && f.severity === 'error');

  it('another device\'s transfer from another server says nothing of this one: not judged', () => {
    expect(stopped(silentAfterDhcp('198.51.100.40'))).toEqual([]);
  });

  it('its next-server\'s traffic is in the capture: its silence is a stop', () => {
    expect(stopped(silentAfterDhcp(NEXT))).toHaveLength(1);
  });

  it('a boot file URL names its server: the DHCP server\'s traffic says nothing of it, its own does', () => {
    expect(stopped(silentAfterDhcp(DHCP_SERVER, 'url'))).toEqual([]);
    expect(stopped(silentAfterDhcp(NEXT, 'url'))).toHaveLength(1);
  });
});
