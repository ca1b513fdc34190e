// Runs one scenario (a DORA, then TFTP steps) through the raw transport inside a lab namespace
// (spawned by test/transport/raw-tftp-worker.test.ts under `ip netns exec`) and prints one JSON
// line: each step's ok/error/observed/retransmits and the transport's counters.
// argv[2]: JSON { dist, iface, server, tftpWorkers?, recordFrames?, scenario (YAML text) }.
const cfg = JSON.parse(process.argv[2]);
const imp = (p) => import(`${cfg.dist}/${p}`);
const { parseScenario } = await imp('scenario/load.js');
const { runScenario } = await imp('scenario/driver.js');
const { SystemClock } = await imp('scenario/clock.js');
const { createRawTransport } = await imp('scenario/transport/raw/transport.js');

const transport = await createRawTransport({
  interface: cfg.iface, macs: ['02:00:00:7e:00:01'], prewarmTftp: true,
  ...(cfg.tftpWorkers === undefined ? {} : { tftpWorkers: cfg.tftpWorkers }),
});
// As `run --pcap` does: a transport that reports its frames keeps TFTP on the event loop.
let framesSeen = 0;
if (cfg.recordFrames === true) transport.onFrame(() => { framesSeen++; });
const res = await runScenario(parseScenario(cfg.scenario, 'raw-worker.yaml'), { transport, clock: new SystemClock(), target: { server: cfg.server } });
await transport.close();
const steps = res.clients[0].steps.map((s) => ({
  ok: s.ok, error: s.error ?? null, duration: s.duration / 1000,
  observed: s.details?.observed ?? null, retransmits: s.details?.retransmits ?? null,
}));
process.stdout.write(JSON.stringify({ steps, counters: transport.counters, framesSeen }) + '\n');
// No process.exit: the process must end by itself once the transport is closed (a worker or a
// capture handle left open fails the run loudly instead of hiding).
setTimeout(() => {
  process.stderr.write('raw-tftp-worker-client: still running 10 s after transport.close(): something holds the process open\n');
  process.exit(3);
}, 10_000).unref();
