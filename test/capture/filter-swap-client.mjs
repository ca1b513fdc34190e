// Run inside the test's namespace by filter-swap-lab.test.ts. Receive mode: a live capture on `iface`
// counts broadcast frames while its filter is swapped every `swapMs` (the raw transport's "and not
// <flow>" as a TFTP worker takes a flow and gives it back), and prints what it saw. Send mode
// (`send` as the first argument): injects `count` broadcast frames on `iface` at a steady rate.
// Burst mode: how many of `count` frames sent at once a worker's blocking capture still holds.
const [mode, cfgJson] = process.argv.slice(2);
const cfg = JSON.parse(cfgJson);
const { openBlockingCapture, openLiveInterface } = await import(`${cfg.dist}/capture/live.js`);
if (mode === 'burst') {
  // A worker descheduled while its flow's frames arrive: `count` frames queue in a blocking
  // capture's ring (opened asking for cfg.bufferSize) before it reads any.
  const { udpFrames } = await import(`${cfg.dist}/scenario/transport/raw/frames.js`);
  const rx = openBlockingCapture(cfg.iface, 'udp and ether broadcast', cfg.bufferSize);
  const tx = openBlockingCapture(cfg.peer, 'ether proto 0x9999', 1 << 20);
  const [f] = udpFrames({ srcMac: '02:00:00:00:00:99', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '198.51.100.9', dstIp: '198.51.100.255' }, 69, 5000, new Uint8Array(1400), 1500);
  for (let i = 0; i < cfg.count; i++) tx.inject(f, f.length);
  const buf = new Uint8Array(65536);
  let got = 0;
  while (got < cfg.count && rx.next(buf, 500) >= 0) got++;
  rx.close();
  tx.close();
  process.stdout.write(`${JSON.stringify({ got })}\n`);
} else if (mode === 'send') {
  const { udpFrames } = await import(`${cfg.dist}/scenario/transport/raw/frames.js`);
  const cap = openBlockingCapture(cfg.iface, 'ether proto 0x9999', 1 << 20);
  const [f] = udpFrames({ srcMac: '02:00:00:00:00:99', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '198.51.100.9', dstIp: '198.51.100.255' }, 67, 68, new Uint8Array(300), 1500);
  const t0 = performance.now();
  for (let i = 0; i < cfg.count; i++) {
    cap.inject(f, f.length);
    // Every 64 frames, wait for the schedule (cfg.usPerFrame): a steady rate, not one burst.
    if ((i & 63) === 63) { const until = t0 + (i * cfg.usPerFrame) / 1000; while (performance.now() < until); }
  }
  cap.close();
  process.stdout.write(`${JSON.stringify({ sent: cfg.count })}\n`);
} else {
  /** How long the reader may take to catch up once the sender is done. */
  const DRAIN_MS = 15_000;
  const base = 'udp and ether broadcast';
  const narrowed = `${base} and not (ip and host 198.51.100.2 and host 198.51.100.50 and ((udp and (port 5000)) or (ip[6:2] & 0x3fff != 0)))`;
  const link = openLiveInterface(cfg.iface, { filter: base, inboundOnly: true });
  let got = 0;
  link.onPacket(() => { got++; });
  let swaps = 0;
  const timer = setInterval(() => { link.setFilter(swaps % 2 === 0 ? narrowed : base); swaps++; }, cfg.swapMs);
  process.stdout.write('ready\n');
  // The test starts the sender on "ready" and writes the count it sent to stdin when it is done.
  let input = '';
  process.stdin.on('data', (b) => {
    input += b;
    if (!input.includes('\n')) return;
    const sent = Number.parseInt(input, 10);
    // What is still in the ring is read on: wait until every frame sent is received or counted
    // dropped (a loaded host may not run this reader for a while), bounded by DRAIN_MS.
    const deadline = Date.now() + DRAIN_MS;
    const poll = setInterval(() => {
      const st = link.stats();
      if (got + (st.dropped ?? 0) < sent && Date.now() < deadline) return;
      clearInterval(poll);
      clearInterval(timer);
      process.stdout.write(`${JSON.stringify({ got, swaps, kernelDropped: st.dropped })}\n`);
      link.close();
      process.exit(0);
    }, 20);
  });
}
