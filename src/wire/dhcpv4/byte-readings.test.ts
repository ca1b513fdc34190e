/**
 * The accessors that read an option's bytes instead of its text (isIpxe, isPxeClient,
 * isHttpClient, effectiveBootFileBytes) answer as the text readings do, for well-formed and odd
 * option bytes alike.
 */
import { describe, expect, it } from 'vitest';
import { latin1String } from '../bytes.js';
import {
  effectiveBootFile, effectiveBootFileBytes, isHttpClient, isIpxe, isPxeClient, userClasses, vendorClass, DhcpV4Code, type DhcpV4Message,
} from './index.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const withLength = (s: string) => Uint8Array.of(s.length, ...ascii(s));
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function message(options: [number, Uint8Array][], file = new Uint8Array(128)): DhcpV4Message {
  return {
    options: options.map(([code, data]) => ({ code, data, area: 'options', offset: 0 })),
    file, sname: new Uint8Array(64),
  } as unknown as DhcpV4Message;
}

const userClassBytes = [
  ascii('iPXE'), withLength('iPXE'), cat(withLength('gPXE'), withLength('iPXE')), cat(withLength('iPXE'), Uint8Array.of(9, 1)),
  ascii('iPXEx'), withLength('ipxe'), new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(4, 0x69, 0x50, 0x58), cat(withLength('iPX'), ascii('E')),
  Uint8Array.of(0x69, 0x50, 0x58, 0x45 | 0x80),
];
const vendorClassBytes = [
  ascii('PXEClient:Arch:00007:UNDI:003016'), ascii('PXEClient'), ascii('PXEClien'), ascii('HTTPClient:Arch:00016'), ascii('HTTPClien'),
  ascii('pxeclient'), Uint8Array.of(0xd0, ...ascii('XEClient')), new Uint8Array(0), ascii('MSFT 5.0'),
];

describe('DHCPv4 byte readings agree with the text readings', () => {
  it('isIpxe: option 175, or a user class "iPXE" (RFC 3004 instance or plain text)', () => {
    let yes = 0;
    for (const d of userClassBytes) {
      for (const encap of [false, true]) {
        const msg = message(encap ? [[DhcpV4Code.USER_CLASS, d], [DhcpV4Code.IPXE_ENCAP, Uint8Array.of(1, 1, 1)]] : [[DhcpV4Code.USER_CLASS, d]]);
        const byText = encap || userClasses(msg).includes('iPXE');
        expect(isIpxe(msg), `${[...d]} encap ${encap}`).toBe(byText);
        if (byText && !encap) yes++;
      }
    }
    expect(yes).toBe(3); // plain "iPXE", one instance, the second of two
    expect(isIpxe(message([]))).toBe(false);
  });

  it('isPxeClient and isHttpClient: the vendor class starts so', () => {
    for (const d of vendorClassBytes) {
      const msg = message([[DhcpV4Code.VENDOR_CLASS, d]]);
      expect(isPxeClient(msg), latin1String(d)).toBe(vendorClass(msg)?.startsWith('PXEClient') ?? false);
      expect(isHttpClient(msg), latin1String(d)).toBe(vendorClass(msg)?.startsWith('HTTPClient') ?? false);
    }
    expect(isPxeClient(message([]))).toBe(false);
  });

  it('effectiveBootFileBytes: the bytes effectiveBootFile reads, up to the first NUL', () => {
    const file = new Uint8Array(128);
    file.set(ascii('pxelinux.0'));
    const cases = [message([], file), message([[DhcpV4Code.BOOTFILE_NAME, cat(ascii('ipxe.efi'), Uint8Array.of(0, 0x41))]], file),
      message([[DhcpV4Code.BOOTFILE_NAME, new Uint8Array(0)]]), message([])];
    for (const msg of cases) {
      const b = effectiveBootFileBytes(msg);
      expect(b === null ? null : latin1String(b)).toBe(effectiveBootFile(msg));
    }
  });
});
