/**
 * Evaluating a step's `expect:` against what the runner observed. Pure: plain data in, a list of
 * failures out, each saying expected what and found what.
 */
import type {
  Dhcp6Expect,
  DhcpExpect,
  RaExpect,
  HttpExpect,
  IpxeScriptExpect,
  NumberMatcher,
  SaveSource,
  Scalar,
  Step,
  StepExpect,
  TftpExpect,
  ValueMatcher,
} from './schema/index.js';
import { parseCidr, parseCidr6, parseIpv4Text } from './address-text.js';
import { samePrefix6 } from '../wire/ipv6-address.js';
import { escapeRegExp, interpolate, UnknownVariableError, type VariableLookup } from './vars.js';

/** An option as the runner decoded it; raw bytes for options it has no codec for. */
export type OptionValue = Scalar | ReadonlyArray<Scalar> | Uint8Array;

/** What one step saw. Fill in what applies to the step; missing fields read as "not observed". */
export interface Observed {
  /** DHCP reply type: 'offer', 'ack', 'nak', …; null when no reply came. */
  messageType?: string | null;
  siaddr?: string;
  yiaddr?: string;
  nextServer?: string;
  serverId?: string;
  bootfile?: string;
  leaseTime?: number;
  /** How many offers arrived in the offer window. */
  offers?: number;
  options?: ReadonlyMap<number, OptionValue>;
  /** Transfers (TFTP, HTTP, iPXE script). */
  size?: number;
  sha256?: string;
  tsize?: number;
  blksize?: number;
  /** TFTP error code received, or null for none. */
  tftpError?: number | null;
  /** TFTP: the transfer finished (its last block arrived). */
  complete?: boolean;
  status?: number;
  body?: string;
  /** Header names in lower case. */
  headers?: Readonly<Record<string, string>>;
  /** iPXE script runs. */
  fetchedUrls?: readonly string[];
  booted?: boolean;
  scriptErrors?: number;
  /** DHCPv6: the IA_NA address, option 59/60, the status name ('Success' when none), Advertises seen. */
  address?: string;
  bootfileUrl?: string;
  bootfileParam?: string;
  dhcp6Status?: string;
  dhcp6StatusCode?: number;
  advertises?: number;
  rapidCommit?: boolean;
  validLifetime?: number;
  vendorClass?: string;
  /** Router advertisements (the first one that answered, and how many routers were heard). */
  managed?: boolean;
  other?: boolean;
  routerLifetime?: number;
  preference?: string;
  prefixes?: readonly string[];
  routers?: number;
}

export interface Evaluation {
  ok: boolean;
  failures: string[];
}

/** Every step's expectation keys in one bag; `status` is an HTTP list or a DHCPv6 matcher. */
type AnyExpect = Partial<DhcpExpect & TftpExpect & Omit<HttpExpect, 'status'> & Omit<IpxeScriptExpect, 'status'> & Omit<Dhcp6Expect, 'type' | 'options' | 'status'> & RaExpect> & {
  type?: DhcpExpect['type'] | Dhcp6Expect['type'];
  status?: HttpExpect['status'] | Dhcp6Expect['status'];
};

const NO_VARS: VariableLookup = new Map();

function show(v: OptionValue | undefined | null): string {
  if (v === undefined || v === null) return 'absent';
  if (v instanceof Uint8Array) return `0x${hex(v)}`;
  return JSON.stringify(v);
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function inSubnet(address: string, cidr: string): boolean {
  const net6 = parseCidr6(cidr);
  if (net6 !== null) return address.includes(':') && samePrefix6(address, net6.network, net6.prefix);
  const net = parseCidr(cidr);
  const ip = parseIpv4Text(address);
  if (net === null || ip === null) return false;
  if (net.prefix === 0) return true;
  const shift = 32 - net.prefix;
  return Math.floor(ip / 2 ** shift) === Math.floor(net.network / 2 ** shift);
}

function scalarsOf(v: OptionValue): string[] {
  if (v instanceof Uint8Array) return [hex(v)];
  if (Array.isArray(v)) return (v as ReadonlyArray<Scalar>).map(String);
  return [String(v)];
}

function equalsValue(expected: Scalar | readonly Scalar[], found: OptionValue): boolean {
  const want = (Array.isArray(expected) ? expected : [expected]).map((x) =>
    found instanceof Uint8Array ? String(x).replace(/[: ]/g, '').toLowerCase() : String(x));
  const got = scalarsOf(found);
  return want.length === got.length && want.every((w, i) => w === got[i]);
}

/** Check one matcher; push `label: expected …, found …` on failure. */
function matchValue(label: string, m: ValueMatcher, found: OptionValue | undefined | null, ctx: Ctx): void {
  const has = found !== undefined && found !== null;
  if (m.absent === true && has) ctx.fail(`${label}: expected absent, found ${show(found)}`);
  if (m.present === true && !has) ctx.fail(`${label}: expected present, found absent`);
  if (m.present === false && has) ctx.fail(`${label}: expected absent, found ${show(found)}`);
  if (m.absent === false && !has) ctx.fail(`${label}: expected present, found absent`);
  if (m.equals !== undefined) {
    const want = Array.isArray(m.equals) ? m.equals.map((x) => ctx.text(x)) : ctx.text(m.equals);
    if (!has || !equalsValue(want, found)) ctx.fail(`${label}: expected ${JSON.stringify(want)}, found ${show(found)}`);
  }
  if (m.notEquals !== undefined) {
    const avoid = Array.isArray(m.notEquals) ? m.notEquals.map((x) => ctx.text(x)) : ctx.text(m.notEquals);
    if (has && equalsValue(avoid, found)) ctx.fail(`${label}: expected anything but ${JSON.stringify(avoid)}, found ${show(found)}`);
  }
  if (m.matches !== undefined) {
    const source = ctx.pattern(m.matches);
    const re = safeRegExp(source);
    if (re === null) ctx.fail(`${label}: invalid regular expression /${source}/`);
    else if (!has || !matchTexts(found).some((t) => re.test(t))) ctx.fail(`${label}: expected to match ${String(re)}, found ${show(found)}`);
  }
  if (m.inSubnet !== undefined) {
    const cidr = String(ctx.text(m.inSubnet));
    if (!has || !scalarsOf(found).every((a) => inSubnet(a, cidr))) ctx.fail(`${label}: expected an address in ${cidr}, found ${show(found)}`);
  }
}

/** What a regex is tried on: the value (raw bytes as hex) and, for printable raw bytes, their text
 *  (Avaya's option 242, Yealink's and Mitel's option 43 carry text). */
function matchTexts(v: OptionValue): string[] {
  const out = [scalarsOf(v).join(',')];
  if (v instanceof Uint8Array && v.length > 0 && v.every((b) => b >= 0x20 && b < 0x7f)) out.push(String.fromCharCode(...v));
  return out;
}

function safeRegExp(source: string): RegExp | null {
  try {
    return new RegExp(source);
  } catch {
    return null;
  }
}

function describeRange(m: NumberMatcher): string {
  if (m.equals !== undefined) return String(m.equals);
  if (m.min !== undefined && m.max !== undefined) return `${m.min}..${m.max}`;
  if (m.min !== undefined) return `at least ${m.min}`;
  if (m.max !== undefined) return `at most ${m.max}`;
  return 'any number';
}

function matchNumber(label: string, m: NumberMatcher, found: number | undefined | null, ctx: Ctx): void {
  const ok = found !== undefined && found !== null &&
    (m.equals === undefined || found === m.equals) &&
    (m.min === undefined || found >= m.min) &&
    (m.max === undefined || found <= m.max);
  if (!ok) ctx.fail(`${label}: expected ${describeRange(m)}, found ${found ?? 'nothing'}`);
}

function statusMatches(want: number | string, status: number): boolean {
  return typeof want === 'number' ? want === status : String(status)[0] === want[0] && status >= 100 && status <= 599;
}

class Ctx {
  readonly failures: string[] = [];
  constructor(
    readonly vars: VariableLookup,
    readonly where: string | undefined,
  ) {}
  fail(message: string): void {
    this.failures.push(message);
  }
  text(v: Scalar): Scalar {
    return typeof v === 'string' ? interpolate(v, this.vars, this.where) : v;
  }
  /** Variables inside a regex are inserted literally (an address's dots are not wildcards). */
  pattern(source: string): string {
    return interpolate(source, this.vars, this.where, escapeRegExp);
  }
}

/**
 * Evaluate `expect` against `observed`. Strings in the expectation may use `${var}` from `vars`;
 * an unset variable becomes a failure naming it and `where`.
 */
export function evaluate(expect: StepExpect | undefined, observed: Observed, vars: VariableLookup = NO_VARS, where?: string): Evaluation {
  const ctx = new Ctx(vars, where);
  if (expect === undefined) return { ok: true, failures: [] };
  try {
    check(expect as AnyExpect, observed, ctx);
  } catch (e) {
    if (!(e instanceof UnknownVariableError)) throw e;
    ctx.fail(e.message);
  }
  return { ok: ctx.failures.length === 0, failures: ctx.failures };
}

function check(e: AnyExpect, o: Observed, ctx: Ctx): void {
  if (e.type !== undefined) {
    const found = o.messageType ?? null;
    const ok = e.type === 'none' ? found === null : found === e.type;
    if (!ok) ctx.fail(`message type: expected ${e.type === 'none' ? 'no reply' : e.type}, found ${found ?? 'no reply'}`);
  }
  if (e.options !== undefined) {
    for (const [code, m] of Object.entries(e.options)) {
      matchValue(`option ${code}`, m, o.options?.get(Number(code)), ctx);
    }
  }
  if (e.siaddr !== undefined) matchValue('siaddr', e.siaddr, o.siaddr, ctx);
  if (e.yiaddr !== undefined) matchValue('yiaddr', e.yiaddr, o.yiaddr, ctx);
  if (e['next-server'] !== undefined) matchValue('next-server', e['next-server'], o.nextServer, ctx);
  if (e['server-id'] !== undefined) matchValue('server-id', e['server-id'], o.serverId, ctx);
  if (e.bootfile !== undefined) matchValue('boot file', e.bootfile, o.bootfile, ctx);
  if (e['lease-time'] !== undefined) matchNumber('lease time', e['lease-time'], o.leaseTime, ctx);
  if (e.offers !== undefined) matchNumber('offers', e.offers, o.offers, ctx);

  if (e.size !== undefined) matchNumber('size', e.size, o.size, ctx);
  if (e.sha256 !== undefined) {
    const want = String(ctx.text(e.sha256)).toLowerCase();
    if (o.sha256?.toLowerCase() !== want) ctx.fail(`sha256: expected ${want}, found ${o.sha256 ?? 'nothing'}`);
  }
  if (e.complete !== undefined && o.complete !== undefined && e.complete !== o.complete) {
    ctx.fail(e.complete ? 'transfer: expected it to complete, it stalled' : `transfer: expected it to stall (not complete), it completed (${o.size ?? 0} bytes${o.blksize === undefined ? '' : `, blksize ${o.blksize}`})`);
  }
  if (e.tsize !== undefined) matchNumber('tsize', e.tsize, o.tsize, ctx);
  if (e.blksize !== undefined) matchNumber('blksize', e.blksize, o.blksize, ctx);
  if (e.error !== undefined) {
    const got = o.tftpError ?? null;
    if (e.error === true && got === null) ctx.fail('TFTP error: expected an error packet, found none');
    if (e.error === false && got !== null) ctx.fail(`TFTP error: expected none, found error ${got}`);
    if (typeof e.error === 'number' && got !== e.error) ctx.fail(`TFTP error: expected code ${e.error}, found ${got === null ? 'none' : `code ${got}`}`);
  }

  if (e.status !== undefined && !Array.isArray(e.status)) {
    // DHCPv6 status: by name (Success, NoAddrsAvail…) or code.
    const m = e.status;
    const byCode = [m.equals, m.notEquals].flat().some((x) => typeof x === 'number');
    matchValue('DHCPv6 status', m, byCode ? o.dhcp6StatusCode : o.dhcp6Status, ctx);
  } else if (e.status !== undefined) {
    const s = o.status;
    if (s === undefined || !e.status.some((w) => statusMatches(w, s))) {
      ctx.fail(`HTTP status: expected ${e.status.join(' or ')}, found ${s ?? 'no response'}`);
    }
  }
  if (e.body !== undefined) {
    const source = ctx.pattern(e.body);
    const re = safeRegExp(source);
    if (re === null) ctx.fail(`body: invalid regular expression /${source}/`);
    else if (o.body === undefined) ctx.fail(`body: expected to match ${String(re)}, found no body`);
    else if (!re.test(o.body)) ctx.fail(`body: expected to match ${String(re)}, found no match in ${o.body.length} characters (${JSON.stringify(o.body.slice(0, 60))}${o.body.length > 60 ? '…' : ''})`);
  }
  if (e.headers !== undefined) {
    for (const [name, m] of Object.entries(e.headers)) {
      matchValue(`header ${name}`, m, o.headers?.[name.toLowerCase()], ctx);
    }
  }

  if (e.fetches !== undefined) matchNumber('fetches', e.fetches, o.fetchedUrls?.length, ctx);
  if (e.fetched !== undefined) {
    const urls = o.fetchedUrls ?? [];
    for (const pattern of e.fetched) {
      const source = ctx.pattern(pattern);
      const re = safeRegExp(source);
      if (re === null || !urls.some((u) => re.test(u))) {
        ctx.fail(`fetched: expected a URL matching ${String(re ?? source)}, found ${urls.length === 0 ? 'no fetches' : urls.join(', ')}`);
      }
    }
  }
  if (e.boots !== undefined && (o.booted ?? false) !== e.boots) {
    ctx.fail(e.boots ? 'boot: expected the script to boot an image, found it did not' : 'boot: expected no boot, found the script booted an image');
  }
  if (e.errors !== undefined) matchNumber('script errors', e.errors, o.scriptErrors, ctx);

  if (e.address !== undefined) matchValue('address', e.address, o.address, ctx);
  if (e['bootfile-url'] !== undefined) matchValue('boot file URL (option 59)', e['bootfile-url'], o.bootfileUrl, ctx);
  if (e['bootfile-param'] !== undefined) matchValue('boot file parameters (option 60)', e['bootfile-param'], o.bootfileParam, ctx);
  if (e['vendor-class'] !== undefined) matchValue('vendor class (option 16)', e['vendor-class'], o.vendorClass, ctx);
  if (e.advertises !== undefined) matchNumber('advertises', e.advertises, o.advertises, ctx);
  if (e['rapid-commit'] !== undefined && (o.rapidCommit ?? false) !== e['rapid-commit']) {
    ctx.fail(`rapid commit: expected ${e['rapid-commit'] ? 'a Reply to the Solicit (Rapid Commit)' : 'Advertise/Request'}, found ${o.rapidCommit ? 'a Rapid Commit Reply' : 'none'}`);
  }
  if (e['valid-lifetime'] !== undefined) matchNumber('valid lifetime', e['valid-lifetime'], o.validLifetime, ctx);

  if (e.managed !== undefined) matchFlag('RA managed (M) flag', e.managed, o.managed, ctx);
  if (e.other !== undefined) matchFlag('RA other-config (O) flag', e.other, o.other, ctx);
  if (e.lifetime !== undefined) matchNumber('router lifetime', e.lifetime, o.routerLifetime, ctx);
  if (e.preference !== undefined && o.preference !== e.preference) ctx.fail(`router preference: expected ${e.preference}, found ${o.preference ?? 'no RA'}`);
  if (e.prefix !== undefined) matchValue('RA prefixes', e.prefix, o.prefixes === undefined ? undefined : [...o.prefixes], ctx);
  if (e.routers !== undefined) matchNumber('routers', e.routers, o.routers, ctx);
}

function matchFlag(label: string, want: boolean, found: boolean | undefined, ctx: Ctx): void {
  if (found === undefined) ctx.fail(`${label}: expected ${want ? 1 : 0}, found no router advertisement`);
  else if (found !== want) ctx.fail(`${label}: expected ${want ? 1 : 0}, found ${found ? 1 : 0}`);
}

/**
 * The expectations a step is held to: its `expect:` over these defaults — a DHCP exchange ends in
 * an ACK (RELEASE and DECLINE in no reply), a TFTP transfer ends without an error packet, an iPXE
 * script is served with a 2xx. `become` and `sleep` have none.
 */
export function effectiveExpect(step: Step): StepExpect | undefined {
  switch (step.kind) {
    case 'dhcp':
    case 'proxydhcp':
    case 'request':
    case 'renew':
    case 'rebind':
    case 'inform':
      return { type: 'ack', ...step.expect };
    case 'release':
    case 'decline':
      return { type: 'none', ...step.expect };
    case 'tftp':
      return { error: false, ...step.expect };
    case 'http':
      return step.expect;
    case 'ipxe-script':
      return { status: ['2xx'], ...step.expect };
    case 'dhcp6':
      // Every DHCPv6 exchange ends in a Reply (Release and Confirm too, RFC 8415 §18.3).
      return { type: 'reply', ...step.expect };
    case 'ra':
      return step.expect;
    case 'become':
    case 'sleep':
      return undefined;
  }
}

/** Values for a step's `save:` map from what it observed; a missing source is a failure. */
export function resolveSaved(save: Readonly<Record<string, SaveSource>>, o: Observed): { values: Record<string, string>; failures: string[] } {
  const values: Record<string, string> = {};
  const failures: string[] = [];
  for (const [name, src] of Object.entries(save)) {
    let v: string | undefined;
    let what: string;
    switch (src.from) {
      case 'field': {
        what = src.field;
        const f = {
          yiaddr: o.yiaddr, siaddr: o.siaddr, 'next-server': o.nextServer, bootfile: o.bootfile, 'server-id': o.serverId,
          'lease-time': o.leaseTime, status: o.status ?? o.dhcp6Status, size: o.size, sha256: o.sha256,
          address: o.address, 'bootfile-url': o.bootfileUrl,
        }[src.field];
        v = f === undefined ? undefined : String(f);
        break;
      }
      case 'option': {
        what = `option ${src.code}`;
        const ov = o.options?.get(src.code);
        v = ov === undefined ? undefined : scalarsOf(ov).join(',');
        break;
      }
      case 'header':
        what = `header ${src.name}`;
        v = o.headers?.[src.name];
        break;
      case 'body': {
        what = `body /${src.pattern}/`;
        const m = o.body === undefined ? null : new RegExp(src.pattern).exec(o.body);
        v = m === null ? undefined : (m[1] ?? m[0]);
        break;
      }
    }
    if (v === undefined) failures.push(`save ${name}: ${what} was not observed`);
    else values[name] = v;
  }
  return { values, failures };
}
