import { describe, expect, it } from 'vitest';
import { bareHost, tftpUrl, urlHost } from './urls.js';

describe('boot-file URLs', () => {
  it('strip IPv6 brackets from hosts', () => {
    expect(bareHost('[2001:db8::1]')).toBe('2001:db8::1');
    expect(bareHost('198.51.100.1')).toBe('198.51.100.1');
    expect(urlHost('http://[2001:db8:1::1]/boot.ipxe')).toBe('2001:db8:1::1');
    expect(urlHost('not a url')).toBeNull();
  });
  it('split tftp:// URLs into server and file without the leading slash', () => {
    expect(tftpUrl('tftp://[2001:db8:1::1]/snponly.efi')).toEqual({ server: '2001:db8:1::1', file: 'snponly.efi' });
    expect(tftpUrl('TFTP://198.51.100.1/efi/x%20y.efi')).toEqual({ server: '198.51.100.1', file: 'efi/x y.efi' });
    expect(tftpUrl('http://198.51.100.1/x')).toBeNull();
    expect(tftpUrl('snponly.efi')).toBeNull();
  });
});
