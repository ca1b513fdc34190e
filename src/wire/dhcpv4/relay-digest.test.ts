import { describe, expect, it } from 'vitest';
import { buildDhcpV4, emitDhcpV4, parseDhcpV4, relayInvariantDigest, type DhcpV4BuildInput, type DhcpV4OptionInput } from './index.js';

const base = (over: Partial<DhcpV4BuildInput> = {}, extra: DhcpV4OptionInput[] = []): DhcpV4BuildInput => ({
  op: 2, xid: 0x5e1, chaddr: '52:54:00:7e:1a:01', yiaddr: '203.0.113.50', siaddr: '198.51.100.1', file: 'snponly.efi',
  options: [{ code: 53, value: 'OFFER' }, { code: 54, value: '198.51.100.1' }, { code: 51, value: 600 }, ...extra], ...over,
});
/** Through the wire and back, as the flow engine sees it. */
const digest = (input: DhcpV4BuildInput): number => relayInvariantDigest(parseDhcpV4(emitDhcpV4(buildDhcpV4(input)), []));

describe('relayInvariantDigest', () => {
  it('is the same for what relays change: giaddr, hops, option 54 (server-id-override), option 82', () => {
    const server = digest(base());
    const relayed = base({ giaddr: '203.0.113.2', hops: 1 }, [{ code: 82, data: Uint8Array.of(1, 2, 0, 7) }]);
    relayed.options![1] = { code: 54, value: '203.0.113.2' };
    expect(digest(relayed)).toBe(server);
  });

  it('differs for another server\'s answer: siaddr, boot file, server name or any other option', () => {
    const server = digest(base());
    expect(digest(base({ siaddr: '198.51.100.9' }))).not.toBe(server);
    expect(digest(base({ file: 'wds/bootmgfw.efi' }))).not.toBe(server);
    expect(digest(base({ sname: 'wds' }))).not.toBe(server);
    expect(digest(base({}, [{ code: 60, value: 'PXEClient' }]))).not.toBe(server);
    expect(digest(base({}, [{ code: 1, value: '255.255.255.0' }]))).not.toBe(server);
  });

  it('is the same when only the lease times differ: a server answering each relay\'s copy gives the time left a second apart', () => {
    const first = base({}, [{ code: 58, value: 300 }, { code: 59, value: 525 }]);
    const second = base({}, [{ code: 58, value: 299 }, { code: 59, value: 524 }]);
    second.options![2] = { code: 51, value: 599 };
    expect(digest(second)).toBe(digest(first));
  });
});
