/**
 * One scenario step: build the client machine, run it to completion or its hard deadline, observe,
 * evaluate the expectations and the budget, learn variables.
 */
import { effectiveExpect, evaluate, resolveSaved, type Observed } from '../expect.js';
import type { Step, StepExpect } from '../schema/index.js';
import { interpolateDeep } from '../vars.js';
import { personaOverrides } from './dhcp-facts.js';
import { personaArch, type Persona } from '../personas.js';
import { dhcpStep } from './dhcp-step.js';
import { dhcp6Step } from './dhcp6-step.js';
import { tftpUrl } from './urls.js';
import { raStep } from './ra-step.js';
import { ipxeStep } from './ipxe-step.js';
import { sleepUntil, StepFailure, type ClientState, type Outcome, type StepContext } from './loop.js';
import { seconds, type StepResult } from './result.js';
import { httpFetch, httpOutcome, tftpFetch, tftpOutcome } from './transfer-step.js';

/** UEFI HTTP boot architecture codes → the PXE code of the same platform (RFC 4578 / IANA). */
const HTTP_BOOT_TO_PXE_ARCH: Record<number, number> = { 15: 6, 16: 7, 18: 10, 19: 11 };

export type { ClientState, Lease, StepContext } from './loop.js';

const DHCP_KINDS = new Set(['dhcp', 'proxydhcp', 'request', 'renew', 'rebind', 'release', 'decline', 'inform']);
/** A step may run past its budget (to report the real time) up to this many budgets. */
const OVERRUN_FACTOR = 2;

export async function runStep(raw: Step, where: string, st: ClientState, ctx: StepContext): Promise<StepResult> {
  const t0 = ctx.timers.now();
  const budget = raw.kind !== 'sleep' && raw.within !== undefined ? raw.within : null;
  const hard = Math.min(ctx.scenarioDeadline, budget === null ? Infinity : t0 + (OVERRUN_FACTOR * budget) / 1000);
  const expect = effectiveExpect(raw);
  const failures: string[] = [];
  let outcome: Outcome | null = null;
  try {
    const step = interpolateDeep(raw, st.vars, where);
    if (st.v6 && DHCP_KINDS.has(step.kind)) throw new StepFailure(`step ${step.kind} is DHCPv4 and persona ${st.persona} speaks DHCPv6: use a dhcp6 step`);
    if (!st.v6 && (step.kind === 'dhcp6' || step.kind === 'ra')) throw new StepFailure(`step ${step.kind} is IPv6 and persona ${st.persona} speaks IPv4: become an IPv6 persona first`);
    outcome = await execute(step, st, ctx, hard);
  } catch (e) {
    failures.push(e instanceof Error ? e.message : String(e));
  }
  const t1 = ctx.timers.now();
  const durationMs = Math.round((t1 - t0 - (outcome?.clientWait ?? 0)) * 1e6) / 1e3;
  if (outcome !== null) {
    const ev = evaluate(expect, outcome.observed, st.vars, where);
    // The protocol's own account first: expectation failures are often its consequences.
    failures.push(...outcome.problems, ...ev.failures);
    if (outcome.unfinished !== undefined) failures.push(outcome.unfinished);
    if (raw.kind !== 'sleep' && raw.save !== undefined) {
      const saved = resolveSaved(raw.save, outcome.observed);
      for (const [k, v] of Object.entries(saved.values)) st.vars.set(k, v);
      failures.push(...saved.failures);
    }
  }
  if (ctx.signal?.aborted) failures.push('interrupted');
  const label = raw.name ?? stepTitle(raw);
  // A stall the step expects (a blksize above the path MTU) runs to its deadline: not over budget.
  const stallExpected = raw.kind === 'tftp' && raw.expect?.complete === false;
  if (budget !== null && durationMs > budget && !stallExpected) {
    const took = outcome?.unfinished !== undefined ? `did not finish in ${seconds(durationMs)}` : `took ${seconds(durationMs)}`;
    failures.unshift(`${label} ${took}, budget ${seconds(budget)}`);
  }
  const result: StepResult = {
    name: label, kind: raw.kind, ok: failures.length === 0, duration: durationMs, budget,
    error: failures.length === 0 ? null : unique(failures).join('\n'),
    details: {},
  };
  // The report's rendering of what was seen (expect summary, options as hex, message log) is built
  // when something reads it: a load run reads it for the few clients it keeps, not for every DORA.
  let details: Record<string, unknown> | undefined;
  Object.defineProperty(result, 'details', {
    enumerable: true, configurable: true,
    get: () => {
      if (details === undefined) {
        details = { expect: summarizeExpect(expect), ...(outcome === null ? {} : { observed: plainObserved(outcome.observed), ...outcome.facts }) };
        outcomes.delete(result); // rendered: the outcome (a body, a message log) is not held twice
      }
      return details;
    },
    set: (v: Record<string, unknown>) => { details = v; },
  });
  if (outcome !== null) outcomes.set(result, outcome);
  Object.defineProperty(result, 'retransmits', { value: outcome?.retransmits ?? 0, enumerable: false });
  return result;
}

const outcomes = new WeakMap<StepResult, Outcome>();

/** What a step run by `runStep` observed and its facts, unrendered (load statistics read them per step). */
export function stepOutcome(r: StepResult): Pick<Outcome, 'observed' | 'facts'> | undefined {
  return outcomes.get(r);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** A step's name in reports when it has no `name:`. */
export function stepTitle(step: Step): string {
  switch (step.kind) {
    case 'dhcp': return 'DORA';
    case 'dhcp6': return step.operation === undefined || step.operation === 'sarr' ? (step['rapid-commit'] ? 'DHCPv6 Rapid Commit' : 'DHCPv6 SARR') : `DHCPv6 ${step.operation}`;
    case 'ra': return 'router advertisement';
    case 'tftp': return `TFTP ${step.file}`;
    case 'http': return `HTTP ${step.url}`;
    case 'ipxe-script': return `iPXE script ${step.url}`;
    case 'become': return `become ${step.persona}`;
    case 'sleep': return 'sleep';
    default: return step.kind.toUpperCase();
  }
}

async function execute(step: Step, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  if (DHCP_KINDS.has(step.kind)) return dhcpStep(step, st, ctx, hard);
  switch (step.kind) {
    case 'dhcp6':
      return dhcp6Step(step, st, ctx, hard);
    case 'ra':
      return raStep(step, st, ctx, hard);
    case 'tftp': {
      // A DHCPv6 boot file is a URL (RFC 5970): tftp://[2001:db8::1]/ipxe.efi names server and file.
      const fromUrl = tftpUrl(step.file);
      const server = step.server ?? fromUrl?.server ?? st.vars.get('next-server');
      const file = fromUrl?.file ?? step.file;
      if (server === undefined) throw new StepFailure('no TFTP server: give server: or run a DHCP step that offers a next-server first');
      // The SHA-256 only when something reads it, as for HTTP: at blksize 8192 it costs more than a block's round trip.
      const digest = step.expect?.sha256 !== undefined || Object.values(step.save ?? {}).some((s) => s.from === 'field' && s.field === 'sha256');
      const r = await tftpFetch(st, ctx, hard, server, file, {
        blksize: step.blksize, windowsize: step.windowsize, tsize: step.tsize,
        timeout: step.timeout === undefined ? undefined : Math.max(1, Math.round(step.timeout / 1000)),
      }, step.probe ?? false, false, digest);
      const stallExpected = step.expect?.complete === false;
      if (r.result === null) {
        return stallExpected
          ? { observed: { complete: false }, facts: { server }, problems: [] }
          : { observed: {}, facts: { server }, problems: [], unfinished: `TFTP ${file} from ${server}: no end of transfer by the deadline` };
      }
      return tftpOutcome(r.result, server, stallExpected);
    }
    case 'http': {
      const keep = step.expect?.body !== undefined || Object.values(step.save ?? {}).some((s) => s.from === 'body');
      // The SHA-256 only when something reads it: hashing a kernel costs more CPU than receiving it.
      const digest = step.expect?.sha256 !== undefined || Object.values(step.save ?? {}).some((s) => s.from === 'field' && s.field === 'sha256');
      const r = await httpFetch(st, ctx, hard, step.url, step.method ?? 'GET', step.headers, keep, digest);
      return httpOutcome(r, step.url);
    }
    case 'ipxe-script':
      return ipxeStep(step, st, ctx, hard);
    case 'become': {
      const previousArch = personaArch(st.persona as Persona, st.overrides);
      st.persona = step.persona;
      st.vars.set('persona', step.persona);
      st.overrides = personaOverrides([step.options], st.client.hostname);
      // iPXE announces the architecture it was built for, i.e. the firmware's: UEFI x64 firmware
      // loads an x64 EFI iPXE that sends arch 7 (HTTP-boot codes map to their PXE twins).
      if (step.persona === 'ipxe' && st.overrides.arch === undefined && previousArch !== null) {
        st.overrides = { ...st.overrides, arch: HTTP_BOOT_TO_PXE_ARCH[previousArch] ?? previousArch };
      }
      return { observed: {}, facts: { persona: step.persona }, problems: [] };
    }
    case 'sleep': {
      const until = Math.min(ctx.timers.now() + step.for / 1000, ctx.scenarioDeadline);
      await sleepUntil(st, ctx, until, false);
      return { observed: {}, facts: {}, problems: [] };
    }
    default:
      throw new StepFailure(`step kind ${step.kind} is not supported`);
  }
}
// ---------------------------------------------------------------------------------------------
// Report helpers

function plainObserved(o: Observed): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (k === 'body') out['bodyLength'] = (v as string).length;
    else if (v instanceof Map) {
      const opts: Record<string, unknown> = {};
      for (const [code, val] of v as Map<number, unknown>) opts[String(code)] = val instanceof Uint8Array ? Buffer.from(val).toString('hex') : val;
      out[k] = opts;
    } else out[k] = v;
  }
  return out;
}

/** `type ack, yiaddr in 198.51.100.0/24, bootfile ~/\.efi$/` */
export function summarizeExpect(e: StepExpect | undefined): string {
  if (e === undefined) return '';
  return Object.entries(e).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${summarizeValue(v)}`).join(', ');
}

function summarizeValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(summarizeValue).join('|');
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(o)) {
    if (x === undefined) continue;
    switch (k) {
      case 'present': parts.push(x ? 'present' : 'absent'); break;
      case 'absent': parts.push(x ? 'absent' : 'present'); break;
      case 'equals': parts.push(summarizeValue(x)); break;
      case 'notEquals': parts.push(`≠${summarizeValue(x)}`); break;
      case 'matches': parts.push(`~/${String(x)}/`); break;
      case 'inSubnet': parts.push(`in ${String(x)}`); break;
      case 'min': parts.push(`≥${String(x)}`); break;
      case 'max': parts.push(`≤${String(x)}`); break;
      default: parts.push(`${k} ${summarizeValue(x)}`);
    }
  }
  return parts.join(' ');
}
