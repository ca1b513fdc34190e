/**
 * The step grammar: one map per step kind (`- dhcp: { … }`, `- tftp: { file: … }`), the scalar
 * shorthands (`- become: ipxe`, `- sleep: 2s`, a bare `- renew`), and how a step is named in messages.
 */
import { z } from 'zod';
import { durationField, custom, oneOf, strict } from './fields.js';
import { describeValue, humanIssueMessage, isMissingKey } from './messages.js';
import { dhcp6ExpectSchema, dhcpExpectSchema, httpExpectSchema, ipxeScriptExpectSchema, raExpectSchema, tftpExpectSchema } from './expect.js';
import { optionOverrides } from './options.js';
import { SCENARIO_PERSONAS } from './persona-names.js';
import { saveField } from './save.js';
import { didYouMean } from './suggest.js';
import { httpFieldValueProblem, isHttpToken } from '../../wire/http/index.js';

const common = {
  name: z.string().optional(),
  within: durationField.optional(),
  save: saveField.optional(),
};

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });
const port = z.number().int().min(1).max(65535);

/** Request headers: token names and values that cannot end the field early (a CR, LF or NUL
 *  would inject a field of its own into the request). */
const httpHeadersField = custom((v, report): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    report(`expected a map of header names to values, found ${describeValue(v)}`);
    return out;
  }
  for (const [name, value] of Object.entries(v)) {
    if (!isHttpToken(name)) report(`header name ${JSON.stringify(name)} is not an HTTP token (RFC 9110 §5.1: letters, digits and !#$%&'*+-.^_\`|~)`, [name], true);
    if (typeof value !== 'string') { report(`expected a string, found ${describeValue(value)}`, [name]); continue; }
    const problem = httpFieldValueProblem(value);
    if (problem) report(problem, [name]);
    out[name] = value;
  }
  return out;
});

/** An http step's URL: whitespace or a control character would not survive into the request line. */
const httpUrlField = nonEmpty.refine((v) => !/[\x00-\x20\x7f]/.test(v), {
  error: (iss) => `expected a URL without spaces or control characters (percent-encode them: %20), found ${JSON.stringify(iss.input)}`,
});

export const STEP_BODIES = {
  dhcp: strict({
    ...common,
    'offer-window': durationField.optional(),
    /** A remembered address asked for first (INIT-REBOOT, RFC 2131 §3.2); a NAK restarts DORA. */
    'init-reboot': nonEmpty.optional(),
    prefer: oneOf(['proxy', 'address'], 'proxy or address').optional(),
    options: optionOverrides.optional(),
    expect: dhcpExpectSchema.optional(),
  }),
  proxydhcp: strict({ ...common, server: nonEmpty.optional(), port: port.optional(), expect: dhcpExpectSchema.optional() }),
  request: strict({ ...common, address: nonEmpty, 'server-id': nonEmpty.optional(), expect: dhcpExpectSchema.optional() }),
  renew: strict({ ...common, expect: dhcpExpectSchema.optional() }),
  rebind: strict({ ...common, expect: dhcpExpectSchema.optional() }),
  release: strict({ ...common, expect: dhcpExpectSchema.optional() }),
  decline: strict({ ...common, address: nonEmpty.optional(), expect: dhcpExpectSchema.optional() }),
  inform: strict({ ...common, address: nonEmpty.optional(), expect: dhcpExpectSchema.optional() }),
  tftp: strict({
    ...common,
    file: nonEmpty,
    server: nonEmpty.optional(),
    blksize: z.number().int().min(8).max(65464).optional(),
    tsize: z.boolean().optional(),
    windowsize: z.number().int().min(1).max(65535).optional(),
    timeout: durationField.optional(),
    probe: z.boolean().optional(),
    expect: tftpExpectSchema.optional(),
  }),
  http: strict({
    ...common,
    url: httpUrlField,
    method: oneOf(['GET', 'HEAD'], 'GET or HEAD').optional(),
    headers: httpHeadersField.optional(),
    expect: httpExpectSchema.optional(),
  }),
  'ipxe-script': strict({
    ...common,
    url: nonEmpty,
    'max-depth': z.number().int().min(1).max(16).optional(),
    fetch: z.boolean().optional(),
    expect: ipxeScriptExpectSchema.optional(),
  }),
  dhcp6: strict({
    ...common,
    operation: oneOf(['sarr', 'confirm', 'renew', 'rebind', 'release', 'information-request'], 'a DHCPv6 operation (sarr, confirm, renew, rebind, release, information-request)').optional(),
    'rapid-commit': z.boolean().optional(),
    /** Random wait before the first Solicit, at most this (RFC 8415 SOL_MAX_DELAY is 1s; default 0). */
    'solicit-delay': durationField.optional(),
    expect: dhcp6ExpectSchema.optional(),
  }),
  ra: strict({
    ...common,
    /** Send a router solicitation first (default true), else wait for an unsolicited RA. */
    solicit: z.boolean().optional(),
    /** Keep listening this long after the first RA (to count routers and see conflicts). */
    collect: durationField.optional(),
    expect: raExpectSchema.optional(),
  }),
  become: strict({ ...common, persona: oneOf(SCENARIO_PERSONAS, `a persona (${SCENARIO_PERSONAS.join(', ')})`), options: optionOverrides.optional() }),
  sleep: strict({ name: z.string().optional(), for: durationField }),
} as const;

export type StepKind = keyof typeof STEP_BODIES;
export const STEP_KINDS = Object.keys(STEP_BODIES) as StepKind[];

/** Step kinds whose single-key form also takes a scalar: `- become: ipxe`, `- sleep: 2s`. */
const SCALAR_FIELD: Partial<Record<StepKind, string>> = { become: 'persona', sleep: 'for' };
/** Step kinds with no required field, so a bare `- renew` works. */
const BARE_OK = new Set<StepKind>(['dhcp', 'proxydhcp', 'renew', 'rebind', 'release', 'decline', 'inform', 'dhcp6', 'ra']);

/** Where a step sits in the file; set by the loader. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

type StepOf<K extends StepKind> = { kind: K; at?: SourcePos } & z.output<(typeof STEP_BODIES)[K]>;
export type Step = { [K in StepKind]: StepOf<K> }[StepKind];

export const stepField = custom((v, report): Step => {
  let kind: string;
  let body: unknown;
  if (typeof v === 'string') {
    kind = v;
    body = {};
  } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length !== 1) {
      report(keys.length === 0
        ? `expected a step like "- dhcp: { within: 5s }", found an empty map`
        : `expected one step kind per list item, found ${keys.length} keys (${keys.join(', ')}); indent the step's fields under its kind, or start a new "- " item`);
      return { kind: 'sleep', for: 0 };
    }
    kind = keys[0]!;
    body = (v as Record<string, unknown>)[kind];
  } else {
    report(`expected a step (${STEP_KINDS.join(', ')}), found ${describeValue(v)}`);
    return { kind: 'sleep', for: 0 };
  }
  if (!(STEP_KINDS as string[]).includes(kind)) {
    report(`unknown step "${kind}"${didYouMean(kind, STEP_KINDS)}`, typeof v === 'string' ? [] : [kind], true);
    return { kind: 'sleep', for: 0 };
  }
  const k = kind as StepKind;
  const scalarField = SCALAR_FIELD[k];
  let scalarForm = false;
  if (body === null || body === undefined) {
    if (!BARE_OK.has(k)) {
      report(`step "${k}" needs its fields, e.g. ${k === 'tftp' ? '"- tftp: { file: ipxe.efi }"' : k === 'sleep' ? '"- sleep: 2s"' : k === 'become' ? '"- become: ipxe"' : `"- ${k}: { url: … }"`}`, typeof v === 'string' ? [] : [k]);
      return { kind: 'sleep', for: 0 };
    }
    body = {};
  } else if (scalarField !== undefined && typeof body !== 'object') {
    body = { [scalarField]: body };
    scalarForm = true;
  }
  const r = STEP_BODIES[k].safeParse(body, { reportInput: true });
  if (!r.success) {
    for (const iss of r.error.issues) {
      // A scalar shorthand has no nested node: point at the scalar itself.
      if (scalarForm) report(iss.message, [k]);
      else if (iss.code === 'unrecognized_keys') report(iss.message, [k, ...iss.path, iss.keys[0]!], true);
      else if (iss.input === undefined && iss.path.length > 0 && isMissingKey(body, iss.path)) {
        report(`missing required key "${String(iss.path[iss.path.length - 1])}"`, [k, ...iss.path.slice(0, -1)]);
      } else report(humanIssueMessage(iss, iss.input), [k, ...iss.path], iss.code === 'custom' && iss.params?.['atKey'] === true);
    }
    return { kind: 'sleep', for: 0 };
  }
  return { kind: k, ...r.data } as Step;
});

/** How a step is named in run-time messages: `client pc1, step 2 "fetch" (x.yaml:22:9)`. */
export function stepLabel(client: { name: string }, step: Step, index: number): string {
  const at = step.at === undefined ? '' : ` (${step.at.file}:${step.at.line}:${step.at.col})`;
  return `client ${client.name}, step ${index + 1} "${step.name ?? step.kind}"${at}`;
}
