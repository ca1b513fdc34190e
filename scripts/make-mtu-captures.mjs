#!/usr/bin/env node
// Regenerates the MTU captures of captures/lab/ ("big files hang"): a real MTU mismatch in the lab.
// The server (eth0) and the client (cl0) both have MTU 1500, the switch port toward the client
// (cl0-p on the lab bridge) has MTU 1000: the bridge drops every frame above 1000 bytes silently,
// as a switch port or tunnel with a smaller MTU does. No ICMP comes back (it is layer 2).
// Clients: busybox udhcpc (lease from dnsmasq, DHCP only) then curl from tftpd-hpa / nginx.
// Needs root and a build: `npx tsc -p tsconfig.json`.
//   node scripts/make-mtu-captures.mjs                 # all
//   node scripts/make-mtu-captures.mjs mtu-tftp-8192-lost
// Every scenario is bounded (curl --max-time) and its lab is destroyed in a finally.
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMain } from './capture-main.mjs';
import { recordCapture } from './capture-recorder.mjs';
import * as L from '../dist/lab/index.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'captures/lab');
const MAC = '52:54:00:00:f0:01';
/** The smaller MTU on the path to the client. */
const PATH_MTU = 1000;
/** 64 KiB: 8 blocks of 8192, 45 of 1468. */
const FILE = 'big.bin';
const FILE_SIZE = 65_536;

/** @type {Record<string, {file: string, mismatch: boolean, view: 'client'|'server', fetch: string[]}>} */
const SCENARIOS = {
  // blksize 8192: tftpd-hpa sends each block as six IPv4 fragments; the five of 1500 bytes are
  // dropped on the path, the last (~850 bytes) arrives. Client's view: fragments without a first.
  'mtu-tftp-8192-lost': { file: 'mtu-tftp-8192-lost.pcapng', mismatch: true, view: 'client', fetch: tftp(8192) },
  // blksize 1468: each DATA is one 1500-byte packet (DF set), dropped on the path. Server's view:
  // OACK acknowledged, DATA 1 sent again and again, never acknowledged.
  'mtu-tftp-1468-server': { file: 'mtu-tftp-1468-server.pcapng', mismatch: true, view: 'server', fetch: tftp(1468) },
  // HTTP: the client announces MSS 1460 (its own MTU is 1500); the server's full-size segments
  // are dropped on the path, small ones get through. Server's view: a PMTU black hole.
  'mtu-http-blackhole': { file: 'mtu-http-blackhole.pcapng', mismatch: true, view: 'server', fetch: http() },
  // No mismatch: blksize 8192 fragmented at 1500, every fragment arrives, the transfer completes.
  'fragmented-tftp-ok': { file: 'fragmented-tftp-ok.pcapng', mismatch: false, view: 'client', fetch: tftp(8192) },
  // Routed: the client sits behind a router (srv2) whose link toward it has MTU 1000. nginx's
  // 1500-byte segments (DF set) draw ICMP fragmentation needed (MTU 1000) from the router; the
  // server's kernel learns the path MTU and TCP resends smaller segments: the download completes.
  // (tftpd-hpa clears DF on its socket, so a router just fragments its DATA: no ICMP for TFTP.)
  // curl --limit-rate keeps the window small: a 64 KB burst overruns tcpdump on a loaded machine.
  'icmp-frag-needed-http': { file: 'icmp-frag-needed-http.pcapng', mismatch: false, routed: true, view: 'server', fetch: http(['--limit-rate', '100K']) },
};

/** The routed client: 203.0.113.10 in the client namespace, behind srv2 (198.51.100.2 / 203.0.113.1). */
const ROUTED_CLIENT = '203.0.113.10';
function routedSetup(lab) {
  const rtr = lab.ns.srv2;
  lab.execOk(lab.ns.srv, 'ethtool', ['-K', 'eth0', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
  lab.execOk(rtr, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  L.runOk('ip', ['-n', rtr, 'link', 'add', 'rt0', 'mtu', String(PATH_MTU), 'type', 'veth', 'peer', 'name', 'c1', 'netns', lab.ns.cli]);
  L.runOk('ip', ['-n', rtr, 'addr', 'add', '203.0.113.1/24', 'dev', 'rt0']);
  L.runOk('ip', ['-n', rtr, 'link', 'set', 'rt0', 'up']);
  L.runOk('ip', ['-n', lab.ns.cli, 'link', 'set', 'c1', 'address', MAC, 'up']);
  L.runOk('ip', ['-n', lab.ns.cli, 'addr', 'add', `${ROUTED_CLIENT}/24`, 'dev', 'c1']);
  L.runOk('ip', ['-n', lab.ns.cli, 'route', 'add', 'default', 'via', '203.0.113.1']);
  L.runOk('ip', ['-n', lab.ns.srv, 'route', 'add', '203.0.113.0/24', 'via', L.SERVER2_ADDR]);
}

function tftp(blksize) {
  return ['curl', '-sS', '--max-time', '12', '--tftp-blksize', String(blksize), '-o', '/dev/null', `tftp://${L.SERVER_ADDR}/${FILE}`];
}

function http(extra = []) {
  return ['curl', '-sS', '--max-time', '12', ...extra, '-o', '/dev/null', `http://${L.SERVER_ADDR}/${FILE}`];
}

function udhcpcScript(lab) {
  const file = join(lab.workDir, 'udhcpc-configure.sh');
  writeFileSync(file, '#!/bin/sh\n# udhcpc event script: put the leased address on the interface, nothing else.\n'
    + 'case "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";; esac\n');
  chmodSync(file, 0o755);
  return file;
}

function recipe(sc) {
  return {
    file: sc.file,
    second: sc.routed ?? false,
    maxMs: 30_000,
    settleMs: 3_000,
    async setup(lab, root) {
      const big = Buffer.alloc(FILE_SIZE);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
      writeFileSync(join(root, FILE), big);
      const d = await L.startDnsmasq(lab, { extraLines: ['no-ping', 'dhcp-vendorclass=set:pxe,PXEClient', `dhcp-boot=tag:pxe,${FILE},,${L.SERVER_ADDR}`] });
      const t = await L.startTftpd(lab, { root });
      const n = await L.startNginx(lab, { root });
      return { servers: [d, t, n] };
    },
    captureOn(lab) {
      if (sc.routed) {
        routedSetup(lab);
        return 'p-srv';
      }
      lab.addClientInterface('cl0', MAC);
      if (sc.mismatch) {
        // Bridge netfilter would put fragments together and cut them again to the port's MTU
        // (br_netfilter's refragmentation): off, so the bridge behaves as a plain switch.
        lab.execOk(lab.ns.cli, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']);
        L.runOk('ip', ['-n', lab.ns.cli, 'link', 'set', 'cl0-p', 'mtu', String(PATH_MTU)]);
        // Segmentation offloads pass a 64 KB TCP "super-packet" through any MTU check: off, so
        // TCP segments are wire-sized as on a real NIC path (ethtool, scripts/setup.sh).
        lab.execOk(lab.ns.srv, 'ethtool', ['-K', 'eth0', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
        for (const port of ['p-srv', 'cl0-p', 'cl0']) lab.execOk(lab.ns.cli, 'ethtool', ['-K', port, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      }
      return sc.view === 'client' ? 'cl0' : 'p-srv';
    },
    async drive(lab) {
      if (sc.routed) {
        const f = lab.exec(lab.ns.cli, sc.fetch[0], sc.fetch.slice(1), { timeoutMs: 20_000 });
        return {
          note: [`routed: client ${ROUTED_CLIENT} (c1, MTU 1500) → router srv2 (rt0 203.0.113.1, MTU ${PATH_MTU}; eth0 ${L.SERVER2_ADDR}) → server ${L.SERVER_ADDR} (MTU 1500); capture on p-srv (the server's switch port)`,
            `${sc.fetch.join(' ')} → exit ${f.code} ${f.stderr.trim()}`].join('\n'),
        };
      }
      const script = udhcpcScript(lab);
      const dhcp = ['udhcpc', '-i', 'cl0', '-f', '-q', '-n', '-t', '4', '-T', '2', '-V', 'PXEClient:Arch:00007:UNDI:003000', '-s', script];
      const r = lab.exec(lab.ns.cli, 'busybox', dhcp, { timeoutMs: 20_000 });
      const f = lab.exec(lab.ns.cli, sc.fetch[0], sc.fetch.slice(1), { timeoutMs: 20_000 });
      const path = sc.mismatch ? `cl0-p (bridge port toward the client) MTU ${PATH_MTU}, server eth0 and client cl0 MTU 1500` : 'every link MTU 1500';
      return {
        note: [`path: ${path}; capture on ${sc.view === 'client' ? 'cl0 (the client)' : 'p-srv (the server\'s switch port)'}`,
          `busybox ${dhcp.join(' ').replace(script, 'udhcpc-configure.sh')} → exit ${r.code}`,
          `${sc.fetch.join(' ')} → exit ${f.code} ${f.stderr.trim()}`].join('\n'),
        extraConfigs: [script],
      };
    },
  };
}

async function runScenario(name) {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`unknown capture ${name}; known: ${Object.keys(SCENARIOS).join(' ')}`);
  await recordCapture(L, { outDir: OUT, name, labName: 'fmtu', recipe: recipe(sc) });
}

await captureMain('make-mtu-captures', Object.keys(SCENARIOS), runScenario, 'network namespaces, veths, a bridge');
