// The JavaScript and the native binding (native/pcap_live.c) must speak the same interface: a
// binding built from older or newer sources is refused with one line that says rebuild.
import { describe, expect, it } from 'vitest';
import { LiveCaptureError } from '../errors.js';
import { bindingMismatch, PCAP_ABI } from './live.js';

describe('bindingMismatch', () => {
  it('accepts the interface this code speaks', () => {
    expect(bindingMismatch({ abi: PCAP_ABI })).toBeNull();
  });

  it('refuses a binding without a number (built before it: per-frame or unnumbered batches) or with another one', () => {
    for (const loaded of [{}, { abi: PCAP_ABI - 1 }, { abi: PCAP_ABI + 1 }, { abi: String(PCAP_ABI) }]) {
      const e = bindingMismatch(loaded);
      expect(e).toBeInstanceOf(LiveCaptureError);
      expect(e!.code).toBe('EPCAP');
      expect(e!.message).toMatch(/out of date.*rebuild/);
      expect(e!.message).not.toContain('\n');
    }
  });
});
