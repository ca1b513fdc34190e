// The command-line shell shared by make-lab-captures.mjs and make-lab-v6-captures.mjs: root check,
// Ctrl-C / SIGTERM tear the current lab down (createLab also removes leftovers), then every named
// scenario (default all) in turn; exit 1 when one failed.

/** `labs.current` is the lab being used; the script sets it while a scenario runs. */
export const labs = { current: undefined };

export async function captureMain(tool, scenarioNames, runScenario, needs) {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      console.error(`${tool}: ${sig}, cleaning up`);
      Promise.resolve(labs.current?.destroy()).finally(() => process.exit(130));
    });
  }
  if (process.getuid?.() !== 0) {
    console.error(`${tool}: needs root (${needs})`);
    process.exit(2);
  }
  const wanted = process.argv.slice(2);
  let failed = 0;
  for (const name of wanted.length ? wanted : scenarioNames) {
    try {
      await runScenario(name);
    } catch (e) {
      failed++;
      console.error(`${name}: FAILED: ${e instanceof Error ? e.stack : e}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
