// Runs one scenario of TFTP steps through the relay transport inside a lab namespace (spawned by
// test/transport/tftp-offload.test.ts under `ip netns exec`) and prints one JSON line: each step's
// ok/error/observed/facts and how many transfers ran in the transport's TFTP worker.
// argv[2]: JSON { dist, relayFrom, server, tftpWorkers?, scenario (YAML text) }.
const cfg = JSON.parse(process.argv[2]);
const imp = (p) => import(`${cfg.dist}/${p}`);
const { parseScenario } = await imp('scenario/load.js');
const { runScenario } = await imp('scenario/driver.js');
const { SystemClock } = await imp('scenario/clock.js');
const { createRelayTransport } = await imp('scenario/transport/relay.js');

const transport = await createRelayTransport({
  relayFrom: cfg.relayFrom, relayPort: 0, server: cfg.server, prewarmTftp: true,
  ...(cfg.tftpWorkers === undefined ? {} : { tftpWorkers: cfg.tftpWorkers }),
});
const t0 = performance.now();
const res = await runScenario(parseScenario(cfg.scenario, 'offload.yaml'), { transport, clock: new SystemClock(), target: { server: cfg.server } });
const wall = (performance.now() - t0) / 1000;
await transport.close();
const steps = res.clients[0].steps.map((s) => ({
  ok: s.ok, error: s.error ?? null, duration: s.duration / 1000,
  observed: s.details?.observed ?? null, retransmits: s.details?.retransmits ?? null, problems: s.details?.problems ?? null,
}));
process.stdout.write(JSON.stringify({ steps, wall, inWorker: transport.counters.tftpInWorker, sendErrors: transport.counters.sendErrors }) + '\n');
// No process.exit: the process must end by itself once the transport is closed. Something left
// holding it open (a worker, a socket, a timer) fails the run loudly instead of hiding.
setTimeout(() => {
  process.stderr.write('tftp-offload-client: still running 10 s after transport.close(): something holds the process open\n');
  process.exit(3);
}, 10_000).unref();
