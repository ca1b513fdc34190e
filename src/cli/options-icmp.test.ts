import { describe, it, expect } from 'vitest';
import { checkDecodeArgs, parseProtoList } from './options.js';

describe('--proto icmp', () => {
  it('accepts icmp (ICMP and ICMPv6 errors), any case, with other protocols', () => {
    expect([...parseProtoList('tftp,ICMP')!].sort()).toEqual(['icmp', 'tftp']);
    expect([...checkDecodeArgs({ file: 'x.pcap', proto: ['icmp'] }).protos!]).toEqual(['icmp']);
  });
  it('lists icmp among the choices when a protocol is unknown', () => {
    expect(() => parseProtoList('icmp6')).toThrow(/choose from dhcp4, dhcp6, tftp, http, icmp/);
  });
});
