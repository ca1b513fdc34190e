// Runs the raw transport over IPv6 inside a namespace (spawned by raw-v6.test.ts under `ip netns exec`):
// RS → RA, UDP to the peer's global address (neighbour discovery against the real kernel), and a TCP
// GET over IPv6. argv[2]: JSON { dist, iface, mac, addr, peer, udpPort, httpPort }. Prints one JSON line.
const cfg = JSON.parse(process.argv[2]);
const { createRawTransport } = await import(`${cfg.dist}/scenario/transport/raw/transport.js`);
const t = await createRawTransport({ interface: cfg.iface, macs: [cfg.mac], ndIntervalMs: 300, ndRetries: 5, tcpRtoMs: 300 });
const out = { warnings: t.warnings, ra: null, udp: null, http: null, counters: null };
const within = (ms, p) => Promise.race([p, new Promise((r) => setTimeout(() => r(null), ms))]);
try {
  t.addClient(cfg.mac);
  out.ra = await within(8000, new Promise((resolve) => {
    t.onRouterAdvert((ra) => resolve(ra));
    t.solicitRouters(cfg.mac);
  }));
  t.setClientAddress6(cfg.mac, { addr: cfg.addr, prefix: 64 });
  out.udp = await within(8000, new Promise((resolve) => {
    t.onUdp((mac, d) => {
      if (d.src.port === cfg.udpPort) resolve({ mac, from: d.src.addr, to: d.dst.addr, text: Buffer.from(d.payload).toString() });
    });
    t.sendUdp(cfg.mac, { src: { addr: cfg.addr, port: 40000 }, dst: { addr: cfg.peer, port: cfg.udpPort }, payload: new TextEncoder().encode('ping-v6') });
  }));
  // The kernel learned our MAC from our solicitation (STALE); after answering it probes the entry
  // with a unicast NS within DELAY_FIRST_PROBE_TIME (5 s), which we must answer: wait for our
  // answer (polled, at most cfg.nudWaitMs; a loaded host may run us late).
  const nudUntil = Date.now() + (cfg.nudWaitMs ?? 0);
  while (t.counters.ndReplies === 0 && Date.now() < nudUntil) await new Promise((r) => setTimeout(r, 50));
  out.ndRepliesBeforeTcp = t.counters.ndReplies;
  try {
    const s = await t.connectTcp(cfg.mac, { addr: cfg.peer, port: cfg.httpPort }, 8000);
    let text = '';
    const end = await within(10000, new Promise((resolve) => {
      s.onData((d) => { text += Buffer.from(d).toString('latin1'); });
      s.onEnd((_t, e) => resolve({ error: e ?? null }));
      s.write(new TextEncoder().encode(`GET /hello.txt HTTP/1.0\r\nHost: [${cfg.peer}]\r\n\r\n`));
    }));
    s.close();
    out.http = { end, status: text.split('\r\n')[0], body: text.split('\r\n\r\n').slice(1).join('\r\n\r\n') };
  } catch (e) {
    out.http = { error: String(e.message ?? e) };
  }
  out.counters = t.counters;
} finally {
  await new Promise((r) => setTimeout(r, 200));
  await t.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
