/** The persona names a scenario may use (what each sends: personas.ts, personas-v6.ts). */
import { PERSONAS as CLIENT_PERSONAS } from '../personas.js';
import { PERSONAS_V6 } from '../personas-v6.js';

/** DHCPv6 personas (what each sends: personas-v6.ts). */
export const V6_PERSONAS = PERSONAS_V6;

/** Whether a persona speaks DHCPv6 (its steps are `dhcp6`/`ra`, not the DHCPv4 ones). */
export function isIpv6Persona(persona: string): boolean {
  return (V6_PERSONAS as readonly string[]).includes(persona);
}
/** Every persona a scenario may name; what each sends is in personas.ts. */
export const SCENARIO_PERSONAS = [...CLIENT_PERSONAS, ...V6_PERSONAS] as const;
export type ScenarioPersona = (typeof SCENARIO_PERSONAS)[number];
