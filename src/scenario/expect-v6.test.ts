import { describe, expect, it } from 'vitest';
import { effectiveExpect, evaluate, resolveSaved, type Observed } from './expect.js';
import { dhcp6ExpectSchema, parseSaveSource, raExpectSchema, type SaveSource } from './schema/index.js';

const v6 = (e: unknown) => dhcp6ExpectSchema.parse(e);
const ra = (e: unknown) => raExpectSchema.parse(e);

const reply: Observed = {
  messageType: 'reply', address: '2001:db8:1::1a4', bootfileUrl: 'tftp://[2001:db8:1::1]/snponly.efi',
  dhcp6Status: 'Success', dhcp6StatusCode: 0, advertises: 1, rapidCommit: false, validLifetime: 7200,
  vendorClass: 'HTTPClient', options: new Map([[59, 'tftp://[2001:db8:1::1]/snponly.efi']]),
};

describe('DHCPv6 expectations', () => {
  it('pass when the Reply holds what the scenario asks', () => {
    const e = v6({
      type: 'reply', status: 'Success', address: '2001:db8:1::/64', 'bootfile-url': { matches: '^tftp://' },
      advertises: { min: 1 }, 'rapid-commit': false, 'valid-lifetime': { min: 600 }, options: { 'bootfile-url': 'present' },
      'vendor-class': { matches: 'HTTPClient' },
    });
    expect(evaluate(e, reply)).toEqual({ ok: true, failures: [] });
  });

  it('name each failure: status, IPv6 subnet, URL, rapid commit', () => {
    const e = v6({ status: 'Success', address: '2001:db8:2::/64', 'bootfile-url': { matches: '^http' }, 'rapid-commit': true });
    const bad: Observed = { ...reply, dhcp6Status: 'NoAddrsAvail', dhcp6StatusCode: 2 };
    expect(evaluate(e, bad).failures).toEqual([
      'DHCPv6 status: expected "Success", found "NoAddrsAvail"',
      'address: expected an address in 2001:db8:2::/64, found "2001:db8:1::1a4"',
      'boot file URL (option 59): expected to match /^http/, found "tftp://[2001:db8:1::1]/snponly.efi"',
      'rapid commit: expected a Reply to the Solicit (Rapid Commit), found none',
    ]);
  });

  it('match the status by code too', () => {
    expect(evaluate(v6({ status: 2 }), { ...reply, dhcp6Status: 'NoAddrsAvail', dhcp6StatusCode: 2 }).ok).toBe(true);
    expect(evaluate(v6({ status: 2 }), reply).ok).toBe(false);
  });

  it('default to a Reply, and report no reply as such', () => {
    const e = effectiveExpect({ kind: 'dhcp6' });
    expect(evaluate(e, { messageType: null }).failures).toEqual(['message type: expected reply, found no reply']);
    expect(evaluate(e, { messageType: 'advertise' }).failures).toEqual(['message type: expected reply, found advertise']);
  });

  it('save the address and the boot file URL', () => {
    const save: Record<string, SaveSource> = { a: parseSaveSource('address') as SaveSource, u: parseSaveSource('bootfile-url') as SaveSource };
    expect(resolveSaved(save, reply).values).toEqual({ a: '2001:db8:1::1a4', u: 'tftp://[2001:db8:1::1]/snponly.efi' });
    expect(resolveSaved(save, { messageType: 'reply' }).failures).toHaveLength(2);
  });

  it('reject an unknown DHCPv6 option name with a suggestion', () => {
    const r = dhcp6ExpectSchema.safeParse({ options: { 'bootfile-ur': 'present' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('did you mean "bootfile-url"');
  });
});

describe('router advertisement expectations', () => {
  const seen: Observed = { managed: false, other: true, routerLifetime: 1800, preference: 'medium', prefixes: ['2001:db8:1::/64'], routers: 2 };

  it('name the flag that differs', () => {
    expect(evaluate(ra({ managed: true, other: true }), seen).failures).toEqual(['RA managed (M) flag: expected 1, found 0']);
  });
  it('check lifetime, preference, prefixes and the router count', () => {
    expect(evaluate(ra({ lifetime: { min: 1 }, preference: 'medium', prefix: '2001:db8:1::/64', routers: 2 }), seen).ok).toBe(true);
    expect(evaluate(ra({ routers: 1, preference: 'high' }), seen).failures).toEqual([
      'router preference: expected high, found medium',
      'routers: expected 1, found 2',
    ]);
  });
  it('say when no RA came at all', () => {
    expect(evaluate(ra({ managed: true }), { routers: 0 }).failures).toEqual(['RA managed (M) flag: expected 1, found no router advertisement']);
  });
});
