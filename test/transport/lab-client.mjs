// Runs pxecheck's own clients through a real transport inside a lab namespace (spawned by the
// transport tests under `ip netns exec`): DORA per MAC, then TFTP of the boot file and one HTTP GET.
// argv[2]: JSON { dist, mode: 'raw'|'relay', iface?, relayFrom?, server?, circuitId?, clientRelay?: mac[],
//                 macs, persona, tftp: bool, httpPath?, httpHost?, httpKeep? (default true: keep the body as text),
//                 httpLimitMs? (default 15000), pcap? }. Prints one JSON line with the results.
const cfg = JSON.parse(process.argv[2]);
const imp = (p) => import(`${cfg.dist}/${p}`);
const { Dhcp4Client, TftpClient, HttpClient } = await imp('scenario/clients/index.js');
const { effectiveBootFile, serverId } = await imp('wire/dhcpv4/index.js');

const frames = [];
let transport;
if (cfg.mode === 'raw') {
  const { createRawTransport } = await imp('scenario/transport/raw/transport.js');
  transport = await createRawTransport({ interface: cfg.iface, macs: cfg.macs, rateLimitPps: 5000 });
} else {
  const { createRelayTransport } = await imp('scenario/transport/relay.js');
  transport = await createRelayTransport({ relayFrom: cfg.relayFrom, server: cfg.server, circuitId: cfg.circuitId, remoteId: cfg.remoteId });
}
let pcap = null;
transport.onFrame((dir, time, linkType, frame) => {
  frames.push({ dir, linkType, len: frame.length });
  pcap?.writePacket(time, frame);
});
if (cfg.pcap) {
  const { PcapWriter, CaptureFileWriter } = await imp('capture/writer.js');
  const file = new CaptureFileWriter(cfg.pcap);
  pcap = new PcapWriter(file.write, cfg.mode === 'raw' ? 1 : 228);
  pcap.file = file;
}

const machines = new Map();
transport.onUdp((mac, d, t) => {
  const m = machines.get(mac);
  if (m) { m.machine.process(d, t); m.step(); }
});

/** Drives one I/O-free client machine for `mac` until it is done (bounded). */
function drive(mac, machine, limitS) {
  return new Promise((resolve) => {
    let timer = null;
    const giveUp = setTimeout(() => { clearTimeout(timer); machines.delete(mac); resolve(null); }, limitS * 1000);
    const step = () => {
      const now = transport.now();
      for (const d of machine.dispatch(now)) transport.sendUdp(mac, d);
      const r = machine.done();
      if (r) { clearTimeout(timer); clearTimeout(giveUp); machines.delete(mac); resolve(r); return; }
      const at = machine.pollAt();
      clearTimeout(timer);
      if (at !== null) timer = setTimeout(step, Math.max(0, (at - transport.now()) * 1000));
    };
    machines.set(mac, { machine, step });
    step();
  });
}

async function oneClient(mac, index) {
  transport.addClient(mac);
  // clientRelay: MACs whose client machine builds the relayed message itself (giaddr, hops, 82).
  const relay = cfg.mode === 'relay' && (cfg.clientRelay ?? []).includes(mac) ? { giaddr: cfg.relayFrom, circuitId: `${cfg.circuitId}-c` } : undefined;
  const dhcp = await drive(mac, new Dhcp4Client({ mac, persona: cfg.persona, offerWindow: 0.5, initialTimeout: 2, ...(relay ? { relay, relayTo: cfg.server } : {}) }), 20);
  const out = { mac, dhcp: null, tftp: null, http: null };
  if (!dhcp) return out;
  const ack = dhcp.ack;
  out.dhcp = {
    ok: dhcp.ok, error: dhcp.error, address: dhcp.address,
    bootFile: ack ? effectiveBootFile(ack) : null,
    serverId: ack ? serverId(ack) : null,
    giaddr: ack ? [...ack.giaddr].join('.') : null,
    hops: ack ? ack.hops : null,
    o82: ack ? (ack.options.filter((o) => o.code === 82).map((o) => Buffer.from(o.data).toString('hex'))[0] ?? null) : null,
    types: dhcp.messages.map((m) => `${m.dir}:${m.type}`),
  };
  if (!dhcp.ok) return out;
  const mask = ack.options.find((o) => o.code === 1);
  const prefix = mask ? [...mask.data].reduce((n, b) => n + b.toString(2).replace(/0/g, '').length, 0) : 24;
  const router = ack.options.find((o) => o.code === 3);
  transport.setClientAddress(mac, { addr: dhcp.address, prefix, ...(router ? { router: [...router.data.subarray(0, 4)].join('.') } : {}) });
  const clientAddr = cfg.mode === 'relay' ? cfg.relayFrom : dhcp.address;
  if (cfg.tftp && out.dhcp.bootFile) {
    const next = [...ack.siaddr].join('.');
    const server = next !== '0.0.0.0' ? next : out.dhcp.serverId;
    const t = await drive(mac, new TftpClient({ server, clientAddr, clientPort: 2070 + index, file: out.dhcp.bootFile, options: { blksize: 1468 } }), 60);
    out.tftp = t && { ok: t.ok, error: t.error, bytes: t.bytes, sha256: t.sha256, retransmits: t.retransmits };
  }
  if (cfg.httpPath) {
    const http = new HttpClient({ host: cfg.httpHost, path: cfg.httpPath, keepBody: cfg.httpKeep !== false });
    try {
      const stream = await transport.connectTcp(mac, { addr: cfg.httpHost, port: 80 }, 5000);
      await new Promise((resolve) => {
        const limit = setTimeout(() => { http.abort(transport.now(), 'timeout'); resolve(); }, cfg.httpLimitMs ?? 15000);
        stream.onData((d, t) => { http.receive(d, t); if (http.done()) { clearTimeout(limit); resolve(); } });
        stream.onEnd((t, e) => { if (e) http.abort(t, e); else http.end(t); clearTimeout(limit); resolve(); });
        stream.write(http.request(transport.now()));
      });
      stream.close();
    } catch (e) {
      http.abort(transport.now(), String(e.message ?? e));
    }
    const r = http.done();
    out.http = r && { ok: r.ok, error: r.error, status: r.status, bodyBytes: r.bodyBytes, sha256: r.sha256,
      bodyText: r.body ? Buffer.from(r.body).toString('latin1') : null };
  }
  return out;
}

let results;
try {
  results = await Promise.all(cfg.macs.map((mac, i) => oneClient(mac, i)));
} finally {
  await new Promise((r) => setTimeout(r, 300)); // last ACK/FIN out
  await transport.close();
  pcap?.file.close();
}
const sent = frames.filter((f) => f.dir === 'sent').length;
const received = frames.filter((f) => f.dir === 'received').length;
const linkTypes = [...new Set(frames.map((f) => f.linkType))];
process.stdout.write(JSON.stringify({ results, frames: { sent, received, linkTypes }}) + '\n');
process.exit(0);
