import { describe, it, expect } from 'vitest';
import { canonicalIp, macOrNull, parseClientSpec, parseClientSpecs } from './client-spec.js';
import { UsageError } from './exit-codes.js';

describe('--client values', () => {
  it('reads every MAC spelling engineers paste as the same MAC', () => {
    for (const s of ['52:54:00:ab:cd:ef', '52-54-00-AB-CD-EF', '5254.00ab.cdef', '525400abcdef', ' 52:54:0:ab:cd:ef ']) {
      expect(parseClientSpec(s), s).toEqual({ kind: 'mac', mac: '52:54:00:ab:cd:ef' });
    }
  });
  it('reads IP addresses and the ip:ADDR names the report prints', () => {
    expect(parseClientSpec('198.51.100.7')).toEqual({ kind: 'ip', addr: '198.51.100.7' });
    expect(parseClientSpec('ip:198.51.100.7')).toEqual({ kind: 'ip', addr: '198.51.100.7' });
    expect(parseClientSpec('2001:DB8:0:0::10')).toEqual({ kind: 'ip', addr: '2001:db8::10' });
    expect(parseClientSpec('ip:2001:db8::10')).toEqual(parseClientSpec('2001:db8:0::10'));
  });
  it('rejects anything else with the accepted forms in the message', () => {
    for (const bad of ['52:54:00:ab:cd', 'aabb.ccdd', 'zz:54:00:ab:cd:ef', '198.51.100', 'ip:', 'host.example']) {
      expect(() => parseClientSpec(bad), bad).toThrow(UsageError);
      expect(() => parseClientSpec(bad), bad).toThrow(/aabb\.ccdd\.eeff/);
    }
  });
  it('is repeatable and comma-separated; an empty value is an error', () => {
    expect(parseClientSpecs(['aabbccddeeff', '198.51.100.1,ip:198.51.100.2'])).toHaveLength(3);
    expect(parseClientSpecs(undefined)).toBeNull();
    expect(() => parseClientSpecs([''])).toThrow(/needs a value/);
  });
  it('canonical forms compare', () => {
    expect(macOrNull('AABB.CCDD.EEFF')).toBe('aa:bb:cc:dd:ee:ff');
    expect(canonicalIp('2001:0db8::0001')).toBe('2001:db8::1');
    expect(canonicalIp('198.51.100.1')).toBe('198.51.100.1');
  });
});
