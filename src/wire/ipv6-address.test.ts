import { describe, expect, it } from 'vitest';
import { isLinkLocal6, isMulticast6, linkLocalFromMac, multicastMac, samePrefix6, solicitedNodeMulticast } from './ipv6-address.js';

describe('ipv6 address facts', () => {
  it('derives the EUI-64 link-local address (universal/local bit flipped)', () => {
    expect(linkLocalFromMac('52:54:00:12:34:56')).toBe('fe80::5054:ff:fe12:3456');
    expect(linkLocalFromMac('00:1b:21:aa:bb:cc')).toBe('fe80::21b:21ff:feaa:bbcc');
  });
  it('names the solicited-node group and its Ethernet address', () => {
    expect(solicitedNodeMulticast('2001:db8:1::1:2345:6789')).toBe('ff02::1:ff45:6789');
    expect(multicastMac('ff02::1:ff45:6789')).toBe('33:33:ff:45:67:89');
    expect(multicastMac('ff02::1:2')).toBe('33:33:00:01:00:02');
  });
  it('classifies and compares prefixes', () => {
    expect(isLinkLocal6('fe80::1')).toBe(true);
    expect(isLinkLocal6('2001:db8::1')).toBe(false);
    expect(isMulticast6('ff02::1')).toBe(true);
    expect(samePrefix6('2001:db8:1::5', '2001:db8:1:0:ffff::1', 64)).toBe(true);
    expect(samePrefix6('2001:db8:1::5', '2001:db8:2::5', 64)).toBe(false);
    expect(samePrefix6('2001:db8:1::5', '2001:db8:1::9', 126)).toBe(false);
    expect(samePrefix6('2001:db8:1::5', '2001:db8:1::4', 126)).toBe(true);
  });
});
