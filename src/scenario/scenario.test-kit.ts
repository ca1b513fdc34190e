/** For scenario tests: a scenario written out as YAML from its parts, the shape most of them start from. */

export interface ScenarioClientText {
  readonly name?: string;
  readonly persona: string;
  readonly weight?: number;
  /** A MAC, or a MAC range as YAML flow text ('{ mac: "52:54:00:20:00:00", count: 5 }'). */
  readonly mac: string;
  /** One YAML line per step, without its "- " (e.g. 'dhcp: { within: 5s }'). */
  readonly steps: readonly string[];
}

export interface ScenarioText {
  readonly name?: string;
  readonly budget: string;
  /** The `load:` value as YAML flow text, e.g. '{ arrival: 50/s, concurrency: 64 }'. */
  readonly load?: string;
  readonly clients: readonly ScenarioClientText[];
}

export function scenarioYaml(o: ScenarioText): string {
  const lines = [
    ...(o.name === undefined ? [] : [`name: ${o.name}`]),
    `budget: ${o.budget}`,
    ...(o.load === undefined ? [] : [`load: ${o.load}`]),
    'clients:',
  ];
  for (const c of o.clients) {
    lines.push(...(c.name === undefined ? [`  - persona: ${c.persona}`] : [`  - name: ${c.name}`, `    persona: ${c.persona}`]));
    if (c.weight !== undefined) lines.push(`    weight: ${c.weight}`);
    lines.push(`    mac: ${c.mac}`, '    steps:', ...c.steps.map((s) => `      - ${s}`));
  }
  return `${lines.join('\n')}\n`;
}
