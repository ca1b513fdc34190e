/** `expect:` of each step kind: what a reply, transfer or script must show. */
import { z } from 'zod';
import { oneOf, strict } from './fields.js';
import { addressMatcher, numberMatcher, regexField, sha256Field, statusMatcher, valueMatcher } from './matchers.js';
import { option6Matchers, optionMatchers } from './options.js';

export const MESSAGE_TYPES = ['offer', 'ack', 'nak', 'none'] as const;

export const dhcpExpectSchema = strict({
  type: oneOf(MESSAGE_TYPES, 'a DHCP reply type (offer, ack, nak, or none for no reply)').optional(),
  options: optionMatchers.optional(),
  siaddr: addressMatcher.optional(),
  yiaddr: addressMatcher.optional(),
  'next-server': addressMatcher.optional(),
  'server-id': addressMatcher.optional(),
  bootfile: valueMatcher.optional(),
  'lease-time': numberMatcher.optional(),
  offers: numberMatcher.optional(),
});

export const tftpExpectSchema = strict({
  /** false: the transfer must not finish (it stalls: a blksize above the path MTU); the timeout
   *  is then the expected outcome, not a failure. Default: it must finish. */
  complete: z.boolean().optional(),
  size: numberMatcher.optional(),
  sha256: sha256Field.optional(),
  tsize: numberMatcher.optional(),
  blksize: numberMatcher.optional(),
  error: z.union([z.boolean(), z.number().int()]).optional(),
});

export const httpExpectSchema = strict({
  status: statusMatcher.optional(),
  body: regexField.optional(),
  size: numberMatcher.optional(),
  sha256: sha256Field.optional(),
  headers: z.record(z.string(), valueMatcher).optional(),
});

export const ipxeScriptExpectSchema = strict({
  status: statusMatcher.optional(),
  fetches: numberMatcher.optional(),
  fetched: z.array(regexField).optional(),
  boots: z.boolean().optional(),
  errors: numberMatcher.optional(),
});

export const DHCP6_REPLY_TYPES = ['advertise', 'reply', 'none'] as const;

export const dhcp6ExpectSchema = strict({
  type: oneOf(DHCP6_REPLY_TYPES, 'a DHCPv6 reply type (reply, advertise, or none for no reply)').optional(),
  status: valueMatcher.optional(),
  address: addressMatcher.optional(),
  'bootfile-url': valueMatcher.optional(),
  'bootfile-param': valueMatcher.optional(),
  'vendor-class': valueMatcher.optional(),
  options: option6Matchers.optional(),
  advertises: numberMatcher.optional(),
  'rapid-commit': z.boolean().optional(),
  'valid-lifetime': numberMatcher.optional(),
});

export const raExpectSchema = strict({
  managed: z.boolean().optional(),
  other: z.boolean().optional(),
  lifetime: numberMatcher.optional(),
  preference: oneOf(['high', 'medium', 'low'], 'high, medium or low').optional(),
  /** Prefixes as "2001:db8:1::/64": equals = the whole set, matches/present per text. */
  prefix: valueMatcher.optional(),
  routers: numberMatcher.optional(),
});

export type Dhcp6Expect = z.output<typeof dhcp6ExpectSchema>;
export type RaExpect = z.output<typeof raExpectSchema>;
export type DhcpExpect = z.output<typeof dhcpExpectSchema>;
export type TftpExpect = z.output<typeof tftpExpectSchema>;
export type HttpExpect = z.output<typeof httpExpectSchema>;
export type IpxeScriptExpect = z.output<typeof ipxeScriptExpectSchema>;
export type StepExpect = DhcpExpect | TftpExpect | HttpExpect | IpxeScriptExpect | Dhcp6Expect | RaExpect;
