/**
 * Which client groups the lean DORA engine (lean-dora.ts) plays, and their messages: a group whose
 * chain is DHCPv4 only — a `dhcp` step, then `renew`s and at most one `release` last — with
 * nothing per client the engine cannot patch (no variables, no `save`, no per-step options, no
 * INIT-REBOOT, no `prefer`, expectations no stronger than "an ACK, its address in a subnet").
 * Every other group runs on the general runner. Templates are encoded once per group by the
 * wire codec; the engine patches copies (xid, secs, chaddr, option 61's MAC, 50/54, ciaddr).
 */
import { DhcpV4Code, DhcpV4MessageType, encodeTemplate, F, type DhcpV4OptionInput, type DhcpV4Template } from '../../wire/dhcpv4/index.js';
import { parseCidr } from '../address-text.js';
import { buildClientMessage } from '../clients/dhcp4-message.js';
import type { StatKind } from '../load-schema.js';
import { isPxePersona, offerWindowFor, personaOptions, requestIdsLast, type Persona, type PersonaOverrides } from '../personas.js';
import { personaOverrides } from '../run/dhcp-facts.js';
import { stepTitle } from '../run/steps.js';
import { isIpv6Persona, type Client, type Step } from '../schema/index.js';

export type LeanKind = 'dora' | 'renew' | 'release';

export interface LeanStep {
  kind: LeanKind;
  /** The step as written (kept failed clients report it). */
  step: Step;
  /** The step's name in failure messages ("DORA", or its `name:`). */
  label: string;
  budgetMs: number | null;
  /** Seconds to collect offers after the first (dora). */
  offerWindow: number;
  /** `expect: { yiaddr: a.b.c.d/n }`: the ACK's address must be in it. */
  subnet: { network: number; mask: number; text: string } | null;
  stat: StatKind;
}

/** A message template and where the client's MAC sits inside it besides chaddr (option 61). */
export interface LeanTemplate {
  t: DhcpV4Template;
  /** Offset of the MAC in option 61's data, -1 when the message carries none. */
  clientIdMac: number;
  requestedIp: number;
  serverId: number;
}

export interface LeanGroup {
  client: Client;
  persona: Persona;
  pxe: boolean;
  steps: LeanStep[];
  discover: LeanTemplate;
  /** REQUEST (SELECTING) with and without option 54 (an offer may lack it). */
  request: LeanTemplate;
  requestNoServerId: LeanTemplate;
  renew: LeanTemplate;
  release: LeanTemplate;
}

/** Chains longer than this go to the general runner (a row keeps a duration per step). */
export const MAX_LEAN_STEPS = 8;
const STEP_KEYS: Record<LeanKind, readonly string[]> = {
  dora: ['kind', 'at', 'name', 'within', 'offer-window', 'expect'],
  renew: ['kind', 'at', 'name', 'within', 'expect'],
  release: ['kind', 'at', 'name', 'within', 'expect'],
};

/** The group's chain for the lean engine, or null when it needs the general runner. */
export function leanGroup(client: Client): LeanGroup | null {
  if (isIpv6Persona(client.persona) || client.steps.length === 0 || client.steps.length > MAX_LEAN_STEPS) return null;
  const steps: LeanStep[] = [];
  for (const [i, s] of client.steps.entries()) {
    const kind: LeanKind | null = s.kind === 'dhcp' ? 'dora' : s.kind === 'renew' ? 'renew' : s.kind === 'release' ? 'release' : null;
    if (kind === null || (kind === 'dora') !== (i === 0)) return null;
    if (i > 0 && steps[i - 1]!.kind === 'release') return null; // nothing after the lease is gone
    const lean = leanStep(kind, s);
    if (lean === null) return null;
    steps.push(lean);
  }
  const persona = client.persona as Persona;
  const overrides = personaOverrides([client.options], client.hostname);
  try {
    return {
      client, persona, pxe: isPxePersona(persona), steps,
      discover: template(persona, overrides, DhcpV4MessageType.DISCOVER, 'discover', [], true, false),
      request: template(persona, overrides, DhcpV4MessageType.REQUEST, 'request', [DhcpV4Code.SERVER_ID, DhcpV4Code.REQUESTED_IP], true, false),
      requestNoServerId: template(persona, overrides, DhcpV4MessageType.REQUEST, 'request', [DhcpV4Code.REQUESTED_IP], true, false),
      renew: template(persona, overrides, DhcpV4MessageType.REQUEST, 'request', [], false, true),
      release: template(persona, overrides, DhcpV4MessageType.RELEASE, 'request', [DhcpV4Code.SERVER_ID], false, true, true),
    };
  } catch {
    return null; // a MAC-dependent byte the engine cannot patch: the general runner builds each message
  }
}

function leanStep(kind: LeanKind, s: Step): LeanStep | null {
  const body = s as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(body)) if (v !== undefined && !STEP_KEYS[kind].includes(k)) return null;
  if (JSON.stringify(body).includes('${')) return null; // interpolated per client
  let subnet: LeanStep['subnet'] = null;
  const expect = body['expect'] as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(expect ?? {})) {
    if (v === undefined) continue;
    if (k === 'type' && v === (kind === 'release' ? 'none' : 'ack')) continue;
    if (k !== 'yiaddr' || kind === 'release') return null;
    const m = v as Record<string, unknown>;
    const c = typeof m['inSubnet'] === 'string' && Object.keys(m).length === 1 ? parseCidr(m['inSubnet']) : null;
    if (c === null) return null;
    const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
    subnet = { network: (c.network & mask) >>> 0, mask, text: m['inSubnet'] as string };
  }
  const within = body['within'];
  const window = body['offer-window'];
  return {
    kind, step: s, label: s.name ?? stepTitle(s), budgetMs: typeof within === 'number' ? within : null,
    offerWindow: 0, subnet, stat: kind === 'dora' ? 'dora' : kind,
    ...(kind === 'dora' ? { offerWindow: typeof window === 'number' ? window / 1000 : NaN } : {}),
  };
}

/** Filled in by the engine: a dora step without `offer-window` takes the persona's. */
export function offerWindowOf(g: LeanGroup, s: LeanStep): number {
  return Number.isNaN(s.offerWindow) ? offerWindowFor(g.persona) : s.offerWindow;
}

const MAC_A = '02:5e:4e:71:4e:17';
const MAC_B = '02:a1:b1:8e:b1:e8'; // every bit of MAC_A's last 5 bytes flipped

function template(
  persona: Persona, overrides: PersonaOverrides, type: number, kind: 'discover' | 'request', lead: number[],
  broadcast: boolean, ciaddr: boolean, clientIdOnly = false,
): LeanTemplate {
  const build = (mac: string): DhcpV4Template => {
    let opts: DhcpV4OptionInput[] = personaOptions(persona, mac, overrides, kind);
    if (clientIdOnly) opts = opts.filter((o) => o.code === DhcpV4Code.CLIENT_ID); // RFC 2131 table 5
    return encodeTemplate(buildClientMessage({
      type, xid: 0, mac, secs: 0, broadcast, persona: opts, leadLast: requestIdsLast(persona),
      lead: lead.map((code) => ({ code, data: new Uint8Array(4) })),
      ...(ciaddr ? { ciaddr: '0.0.0.0' } : {}),
    }));
  };
  const a = build(MAC_A);
  const b = build(MAC_B);
  const cid = a.options.get(DhcpV4Code.CLIENT_ID);
  // Option 61 as the personas build it: hardware type, then the 6-byte MAC.
  const clientIdMac = cid !== undefined && a.bytes[cid - 1] === 7 && a.bytes[cid] === a.bytes[F.HTYPE] ? cid + 1 : -1;
  // The MAC may sit only in chaddr and option 61: any other difference cannot be patched.
  if (a.bytes.length !== b.bytes.length) throw new Error('MAC-dependent length');
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] === b.bytes[i]) continue;
    const inChaddr = i >= a.chaddr && i < a.chaddr + 6;
    const inClientId = clientIdMac >= 0 && i >= clientIdMac && i < clientIdMac + 6;
    if (!inChaddr && !inClientId) throw new Error(`MAC-dependent byte at ${i}`);
  }
  return { t: a, clientIdMac, requestedIp: a.options.get(DhcpV4Code.REQUESTED_IP) ?? -1, serverId: a.options.get(DhcpV4Code.SERVER_ID) ?? -1 };
}
