// Options a codec can only show as hex (Avaya's 242, Yealink's and Mitel's 43) stay bytes in what a
// DHCP step observed: `matches` tries them as hex and, when printable, as the text phones read.
import { describe, expect, it } from 'vitest';
import { buildDhcpV4, emitDhcpV4, parseDhcpV4 } from '../../wire/dhcpv4/index.js';
import { evaluate } from '../expect.js';
import { optionMap } from './dhcp-facts.js';

const AVAYA = 'MCIPADD=198.51.100.1,MCPORT=1719,HTTPSRVR=198.51.100.1';
const MITEL = 'id:ipphone.mitel.com;sw_tftp=198.51.100.1';

function ack(options: { code: number; data: Uint8Array }[]) {
  const msg = buildDhcpV4({ op: 2, xid: 1, chaddr: '00:1b:4f:00:00:01', yiaddr: '198.51.100.120', options: [{ code: 53, value: 'ACK' }, ...options] });
  return parseDhcpV4(emitDhcpV4(msg), [])!;
}

describe('raw option values in DHCP step observations', () => {
  const m = ack([{ code: 242, data: new TextEncoder().encode(AVAYA) }, { code: 43, data: new TextEncoder().encode(MITEL) }, { code: 224, data: Uint8Array.of(1, 2, 0xff) }]);
  const options = optionMap(m);

  it('keeps 242 and 43 as bytes', () => {
    expect(options.get(242)).toBeInstanceOf(Uint8Array);
    expect(options.get(43)).toBeInstanceOf(Uint8Array);
  });

  it('matches printable bytes as text, and any bytes as hex', () => {
    expect(evaluate({ options: { 242: { matches: 'HTTPSRVR=198\\.51\\.100\\.1$' } } }, { options }).ok).toBe(true);
    expect(evaluate({ options: { 43: { matches: 'ipphone\\.mitel\\.com' } } }, { options }).ok).toBe(true);
    expect(evaluate({ options: { 224: { matches: '^0102ff$' } } }, { options }).ok).toBe(true);
    expect(evaluate({ options: { 224: { equals: '01:02:ff' } } }, { options }).ok).toBe(true);
    const miss = evaluate({ options: { 242: { matches: 'HTTPSRVR=203\\.' } } }, { options });
    expect(miss.failures).toEqual([expect.stringMatching(/^option 242: expected to match \/HTTPSRVR=203\\.\/, found 0x4d43/)]);
  });
});
