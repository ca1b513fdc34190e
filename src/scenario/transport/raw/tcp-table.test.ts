import { describe, expect, it } from 'vitest';
import { TcpConnectionTable } from './tcp-table.js';

describe('TcpConnectionTable', () => {
  it('finds a connection by both addresses and both ports, nothing else', () => {
    const t = new TcpConnectionTable<string>();
    t.set('198.51.100.10', 49152, '198.51.100.1', 80, 'a');
    expect(t.get('198.51.100.10', 49152, '198.51.100.1', 80)).toBe('a');
    expect(t.get('198.51.100.11', 49152, '198.51.100.1', 80)).toBeUndefined();
    expect(t.get('198.51.100.10', 49152, '198.51.100.2', 80)).toBeUndefined();
    expect(t.get('198.51.100.10', 49153, '198.51.100.1', 80)).toBeUndefined();
    expect(t.get('198.51.100.10', 49152, '198.51.100.1', 8080)).toBeUndefined();
  });

  it('keeps clients that share a port pair apart, and a port in use until its last connection goes', () => {
    const t = new TcpConnectionTable<string>();
    t.set('198.51.100.10', 49152, '198.51.100.1', 80, 'a');
    t.set('198.51.100.11', 49152, '198.51.100.1', 80, 'b');
    t.set('198.51.100.10', 49152, '198.51.100.2', 80, 'c');
    expect([t.get('198.51.100.10', 49152, '198.51.100.1', 80), t.get('198.51.100.11', 49152, '198.51.100.1', 80)]).toEqual(['a', 'b']);
    expect(t.size).toBe(3);
    t.delete('198.51.100.10', 49152, '198.51.100.1', 80, 'a');
    expect(t.get('198.51.100.11', 49152, '198.51.100.1', 80)).toBe('b');
    expect(t.portInUse('198.51.100.10', 49152)).toBe(true); // 'c' still holds it
    t.delete('198.51.100.10', 49152, '198.51.100.2', 80, 'c');
    expect(t.portInUse('198.51.100.10', 49152)).toBe(false);
    expect(t.portInUse('198.51.100.11', 49152)).toBe(true);
    expect(t.values()).toEqual(['b']);
  });

  it('a late close of a replaced connection leaves the new one', () => {
    const t = new TcpConnectionTable<string>();
    t.set('198.51.100.10', 49152, '198.51.100.1', 80, 'old');
    t.set('198.51.100.10', 49152, '198.51.100.1', 80, 'new');
    t.delete('198.51.100.10', 49152, '198.51.100.1', 80, 'old');
    expect(t.get('198.51.100.10', 49152, '198.51.100.1', 80)).toBe('new');
    expect(t.portInUse('198.51.100.10', 49152)).toBe(true);
  });
});
