/**
 * The scenario language of `pxecheck run`: zod schemas over the YAML shape, producing a normalized
 * `Scenario`. Messages are written for people (expected X, found Y, the fix); the loader adds the
 * `file:line:column` and maps issue paths back to YAML nodes. The parts: steps.ts (the step
 * grammar), expect.ts, matchers.ts, options.ts, save.ts, fields.ts and messages.ts (the zod
 * building blocks and error humaniser), mac-field.ts.
 */
import { z } from 'zod';
import type { MacRange } from '../mac-range.js';
import { VARIABLE_NAME_RE } from '../vars.js';
import { loadField, type LoadSettings } from '../load-schema.js';
import { durationField, oneOf, strict } from './fields.js';
import { macField } from './mac-field.js';
import { optionOverrides, type OptionOverride } from './options.js';
import { SCENARIO_PERSONAS, type ScenarioPersona } from './persona-names.js';
import { stepField, type SourcePos, type Step } from './steps.js';

export const clientSchema = strict({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a name of letters, digits, "-", "_" or "."' }).optional(),
  persona: oneOf(SCENARIO_PERSONAS, `a persona (${SCENARIO_PERSONAS.join(', ')})`),
  mac: macField,
  hostname: z.string().optional(),
  options: optionOverrides.optional(),
  /** Load mode: this group's share of the arrivals (default: its number of MACs). */
  weight: z.number().positive({ error: 'expected a weight above 0' }).optional(),
  steps: z.array(stepField).min(1, { error: 'expected at least one step' }),
});

/** Servers the built-in lab can run (src/lab/labctl.ts LAB_SERVERS; run-lab.ts checks they agree). */
export const SCENARIO_LAB_SERVERS = ['dnsmasq', 'kea', 'isc-dhcpd'] as const;

/**
 * `lab:` — what the built-in lab needs to play this scenario (`run --lab`, or `run` with no transport):
 * `server` is the DHCP server picked when the user names none (`reason`: why, shown when they name
 * another); `proxy` runs dnsmasq as proxyDHCP on ${server} beside Kea handing out addresses. Ignored when the run aims at a real server.
 */
export const scenarioLabSchema = strict({
  server: oneOf(SCENARIO_LAB_SERVERS, `a lab server (${SCENARIO_LAB_SERVERS.join(', ')})`).optional(),
  proxy: z.boolean().optional(),
  /** Why this server: printed when the user runs the scenario against another one. */
  reason: z.string().optional(),
  /** The MTU of the client's switch port in the lab (server and client stay at 1500): a real MTU
   *  mismatch, for "big files hang" scenarios (a blksize above it must stall). */
  mtu: z.number().int().min(576, { error: 'expected an MTU of at least 576 (the IPv4 minimum)' }).max(9000, { error: 'expected an MTU of at most 9000 (jumbo frames)' }).optional(),
});
export type ScenarioLab = z.output<typeof scenarioLabSchema>;

export const scenarioSchema = strict({
  name: z.string().optional(),
  description: z.string().optional(),
  lab: scenarioLabSchema.optional(),
  budget: durationField,
  /** Largest IP packet the runner sends (raw mode): bigger UDP datagrams go out fragmented. */
  mtu: z.number().int().min(576, { error: 'expected an MTU of at least 576 (the IPv4 minimum)' }).max(65535).optional(),
  vars: z.record(z.string().regex(VARIABLE_NAME_RE), z.union([z.string(), z.number()]).transform(String)).optional(),
  clients: z.array(clientSchema).min(1, { error: 'expected at least one client' }),
  /** Boot storm settings (docs/load.md). */
  load: loadField.optional(),
});

export interface Client {
  name: string;
  persona: ScenarioPersona;
  mac: MacRange;
  hostname?: string;
  options: Record<number, OptionOverride>;
  steps: Step[];
  at?: SourcePos;
  /** Load mode: share of the arrivals (default: the MAC count). */
  weight?: number;
}

export interface Scenario {
  /** The file it came from (as given). */
  file: string;
  name: string;
  description?: string;
  /** Overall budget for the whole run, milliseconds. */
  budgetMs: number;
  /** `mtu:` — largest IP packet sent in raw mode (default 1500). */
  mtu?: number;
  /** Scenario-wide variables (the `vars:` map). */
  vars: Record<string, string>;
  clients: Client[];
  /** What the built-in lab needs for it (the `lab:` map). */
  lab?: ScenarioLab;
  /** Boot storm settings (the `load:` map): run in load mode. */
  load?: LoadSettings;
}

export type ScenarioInput = z.output<typeof scenarioSchema>;
