/**
 * Reads a scenario file: YAML (with positions) → zod → normalized `Scenario`, plus the static
 * checks zod cannot do (unique client names, variables defined before use). Every problem names
 * `file:line:column`, what was expected, what was found and, where it helps, the fix.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import {
  humanIssueMessage,
  isMissingKey,
  scenarioSchema,
  suggest,
  type Client,
  type Scenario,
  type SourcePos,
  type Step,
  isIpv6Persona,
  V6_PERSONAS,
} from './schema/index.js';
import { CLIENT_VARIABLES, DHCP_LEARNING_STEPS, DHCP_VARIABLES, variableReferences } from './vars.js';

export interface ScenarioProblem {
  file: string;
  line: number;
  col: number;
  /** e.g. `clients[0].steps[2].tftp.within`; empty for the document itself. */
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(readonly problems: ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(p: ScenarioProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file: path, line: 1, col: 1, path: '', message: `cannot read the scenario: ${(e as Error).message}` }]);
  }
  return parseScenario(text, path);
}

type PathKey = string | number;

function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out;
}

class Positions {
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lines: LineCounter,
  ) {}

  at(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** The deepest node on `path`, and whether the whole path resolved. */
  resolve(path: readonly PropertyKey[], atKey = false): { node: Node | null; keyNode: Node | null; complete: boolean } {
    let node: unknown = this.doc.contents;
    let keyNode: Node | null = null;
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(key));
        if (pair !== undefined) {
          keyNode = isScalar(pair.key) ? pair.key : null;
          next = pair.value ?? pair.key;
        }
      } else if (isSeq(node) && typeof key === 'number') {
        next = node.items[key];
        keyNode = null;
      }
      if (next === undefined || next === null) return { node: node as Node | null, keyNode: null, complete: false };
      node = next;
    }
    return { node: node as Node | null, keyNode: atKey ? keyNode : null, complete: true };
  }

  posOf(path: readonly PropertyKey[], atKey = false): SourcePos {
    const { node, keyNode } = this.resolve(path, atKey);
    const target = keyNode ?? node;
    return this.at(target?.range?.[0] ?? 0);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function issueToProblem(iss: z.core.$ZodIssue, js: unknown, pos: Positions): ScenarioProblem {
  let path: PropertyKey[] = iss.path;
  let atKey = iss.code === 'custom' && iss.params?.['atKey'] === true;
  let message: string;
  const value = valueAt(js, path);
  if (iss.code === 'unrecognized_keys') {
    path = [...path, iss.keys[0]!];
    atKey = true;
    message = iss.message;
  } else if (value === undefined && path.length > 0 && isMissingKey(js, path)) {
    const key = path[path.length - 1]!;
    path = path.slice(0, -1);
    message = `missing required key "${String(key)}"`;
  } else {
    message = humanIssueMessage(iss, value);
  }
  return { ...pos.posOf(path, atKey), path: pathString(path), message };
}

/** Alias references one document may resolve: a scenario needs a handful; an alias bomb
 *  ("billion laughs") needs millions and would exhaust memory. */
export const MAX_ALIAS_COUNT = 100;

/** The document as plain data; an alias bomb becomes a ScenarioError at its first alias. */
function toJs(doc: Document, pos: Positions): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    let at = 0;
    visit(doc, {
      Alias(_k, node) {
        at = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const aliases = /alias/i.test((e as Error).message);
    throw new ScenarioError([{
      ...pos.at(at),
      path: '',
      message: aliases
        ? `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} alias references: an alias bomb?): write the values out instead of nesting *aliases`
        : `YAML cannot be read: ${(e as Error).message}`,
    }]);
  }
}

export function parseScenario(text: string, fileName: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const pos = new Positions(fileName, doc, lines);
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => ({
        ...pos.at(e.pos[0]),
        path: '',
        message: `YAML syntax error: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  const js: unknown = toJs(doc, pos);
  const parsed = scenarioSchema.safeParse(js, { reportInput: true });
  if (!parsed.success) {
    const problems = dropMisspeltMissing(parsed.error.issues.map((iss) => issueToProblem(iss, js, pos)));
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ScenarioError(problems);
  }
  const input = parsed.data;
  const problems: ScenarioProblem[] = [];

  const vars = input.vars ?? {};
  const usedNames = new Map<string, number>();
  const clients: Client[] = input.clients.map((c, ci) => {
    let name = c.name ?? c.persona;
    if (c.name !== undefined && usedNames.has(name)) {
      problems.push({ ...pos.posOf(['clients', ci, 'name']), path: `clients[${ci}].name`, message: `client name "${name}" is already used by clients[${usedNames.get(name)!}]; names must be unique` });
    }
    if (c.name === undefined) {
      for (let n = 2; usedNames.has(name); n++) name = `${c.persona}-${n}`;
    }
    usedNames.set(name, ci);
    const steps: Step[] = c.steps.map((s, si) => ({ ...s, at: pos.posOf(['clients', ci, 'steps', si]) }));
    const client: Client = { name, persona: c.persona, mac: c.mac, options: c.options ?? {}, steps, at: pos.posOf(['clients', ci]) };
    if (c.hostname !== undefined) client.hostname = c.hostname;
    if (c.weight !== undefined) client.weight = c.weight;
    return client;
  });

  checkVariables(input.vars === undefined ? [] : Object.keys(vars), clients, pos, text, problems);
  checkAddressFamilies(clients, pos, problems);
  checkLoadCount(input.load?.count, clients, pos, problems);
  if (problems.length > 0) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    throw new ScenarioError(problems);
  }
  const scenario: Scenario = { file: fileName, name: input.name ?? fileName.replace(/^.*\//, '').replace(/\.ya?ml$/, ''), budgetMs: input.budget, vars, clients, ...(input.mtu === undefined ? {} : { mtu: input.mtu }) };
  if (input.description !== undefined) scenario.description = input.description;
  if (input.lab !== undefined) scenario.lab = input.lab;
  if (input.load !== undefined) scenario.load = input.load;
  return scenario;
}

const V4_DHCP_STEPS = new Set(['dhcp', 'proxydhcp', 'request', 'renew', 'rebind', 'release', 'decline', 'inform']);

/** DHCPv4 steps need an IPv4 persona and `dhcp6`/`ra` an IPv6 one, at that point of the client's
 *  steps (`become` switches: a v6 firmware may fall back to an IPv4 persona). */
function checkAddressFamilies(clients: Client[], pos: Positions, problems: ScenarioProblem[]): void {
  clients.forEach((client, ci) => {
    let persona: string = client.persona;
    client.steps.forEach((step, si) => {
      if (step.kind === 'become') {
        persona = step.persona;
        return;
      }
      const v6 = isIpv6Persona(persona);
      const path: PathKey[] = ['clients', ci, 'steps', si, step.kind];
      const where = { ...pos.posOf(path, true), path: pathString(path) };
      if (v6 && V4_DHCP_STEPS.has(step.kind)) {
        problems.push({ ...where, message: `step "${step.kind}" is DHCPv4, but client "${client.name}" is the IPv6 persona ${persona} here; use "- dhcp6:" (operation: ${step.kind === 'dhcp' ? 'sarr' : step.kind}) or "- become:" an IPv4 persona first` });
      } else if (!v6 && (step.kind === 'dhcp6' || step.kind === 'ra')) {
        problems.push({ ...where, message: `step "${step.kind}" is IPv6, but client "${client.name}" is the IPv4 persona ${persona} here; use an IPv6 persona (${V6_PERSONAS.join(', ')}) or "- become:" one first` });
      }
    });
  });
}

/** `load.count` cannot exceed the MACs the clients have: each client is one MAC. */
function checkLoadCount(count: number | undefined, clients: Client[], pos: Positions, problems: ScenarioProblem[]): void {
  const macs = clients.reduce((n, c) => n + c.mac.count, 0);
  if (count === undefined || count <= macs) return;
  problems.push({
    ...pos.posOf(['load', 'count']), path: 'load.count',
    message: `load.count ${count} is more than the ${macs} MACs of the clients; widen a mac range (e.g. { mac: …, count: ${count} })`,
  });
}

/** `clent:` is reported as unknown with "did you mean clients"; the missing `clients` says nothing more. */
function dropMisspeltMissing(problems: ScenarioProblem[]): ScenarioProblem[] {
  const suggested = new Set<string>();
  for (const p of problems) {
    const m = /^unknown key "[^"]*"; did you mean "([^"]*)"\?$/.exec(p.message);
    if (m !== null) suggested.add(`${p.path.replace(/\.?[^.[\]]+$/, '')}|${m[1]!}`);
  }
  return problems.filter((p) => {
    const m = /^missing required key "([^"]*)"$/.exec(p.message);
    return m === null || !suggested.has(`${p.path}|${m[1]!}`);
  });
}

/** Every string scalar under `node`, with its path relative to `base`. */
function* stringScalars(node: unknown, path: PathKey[]): Generator<{ path: PathKey[]; start: number; end: number; value: string }> {
  if (isScalar(node)) {
    if (typeof node.value === 'string' && node.range !== undefined && node.range !== null) {
      yield { path, start: node.range[0], end: node.range[1], value: node.value };
    }
  } else if (isMap(node)) {
    for (const p of node.items) {
      const key = isScalar(p.key) ? String(p.key.value) : '?';
      yield* stringScalars(p.value, [...path, key]);
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) yield* stringScalars(node.items[i], [...path, i]);
  }
}

/** Each `${name}` must be built in, in `vars:`, or saved by an earlier step of the same client. */
function checkVariables(scenarioVars: string[], clients: Client[], pos: Positions, text: string, problems: ScenarioProblem[]): void {
  const always = new Set<string>([...CLIENT_VARIABLES, ...scenarioVars]);
  const dhcpVars = new Set<string>(DHCP_VARIABLES);
  const report = (path: PathKey[], offset: number, message: string): void => {
    problems.push({ ...pos.at(offset), path: pathString(path), message });
  };
  // `vars:` values may use only the client built-ins.
  const varsNode = pos.resolve(['vars']);
  if (varsNode.complete) {
    for (const s of stringScalars(varsNode.node, ['vars'])) {
      for (const ref of variableReferences(s.value)) {
        if (!CLIENT_VARIABLES.includes(ref.name as (typeof CLIENT_VARIABLES)[number])) {
          report(s.path, locate(text, s, ref.name), `variable \${${ref.name}} cannot be used in vars: (only ${CLIENT_VARIABLES.join(', ')})`);
        }
      }
    }
  }
  clients.forEach((client, ci) => {
    const saved: string[] = [];
    let learnedDhcp = false;
    client.steps.forEach((step, si) => {
      const base: PathKey[] = ['clients', ci, 'steps', si];
      const { node } = pos.resolve(base);
      for (const s of stringScalars(node, base)) {
        for (const ref of variableReferences(s.value)) {
          if (always.has(ref.name) || saved.includes(ref.name) || (learnedDhcp && dhcpVars.has(ref.name))) continue;
          let message: string;
          if (dhcpVars.has(ref.name)) {
            message = `variable \${${ref.name}} is learned from a DHCP reply, but no dhcp, proxydhcp, request or dhcp6 step comes before this one in client "${client.name}"`;
          } else {
            const known = [...always, ...saved, ...(learnedDhcp ? dhcpVars : [])];
            const near = suggest(ref.name, known);
            message = `variable \${${ref.name}} is not built in and no earlier step of client "${client.name}" saves it` +
              (near === undefined ? '; add it to an earlier step\'s save: map or to vars:' : `; did you mean "\${${near}}"?`);
          }
          report(s.path, locate(text, s, ref.name), message);
        }
      }
      if (step.kind !== 'sleep' && step.save !== undefined) saved.push(...Object.keys(step.save));
      if (DHCP_LEARNING_STEPS.has(step.kind)) learnedDhcp = true;
    });
  });
}

/** Offset of `${name}` in the source when the scalar is written literally, else of the scalar. */
function locate(text: string, s: { start: number; end: number }, name: string): number {
  const i = text.slice(s.start, s.end).indexOf(`\${${name}}`);
  return i < 0 ? s.start : s.start + i;
}
