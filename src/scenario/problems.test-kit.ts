/** For schema tests: what a scenario text is refused for. */
import { parseScenario, ScenarioError } from './load.js';

/** The lines of the ScenarioError parsing `text` (as x.yaml) throws; [] when it is accepted. */
export function scenarioProblems(text: string): string[] {
  try {
    parseScenario(text, 'x.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.message.split('\n');
    throw e;
  }
  return [];
}
