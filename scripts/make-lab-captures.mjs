#!/usr/bin/env node
// Regenerates captures/lab/*.pcap(ng) with real firmware (OVMF, SeaBIOS + iPXE ROM) and real
// servers in throw-away network namespaces. Needs root and a build: `npx tsc -p tsconfig.json`.
//   node scripts/make-lab-captures.mjs            # all
//   node scripts/make-lab-captures.mjs uefi-pxe-dnsmasq lossy-tftp
// Every scenario is bounded (maxMs) and its lab is destroyed in a finally.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMain } from './capture-main.mjs';
import { bootQemuUntil, count, read, recordCapture } from './capture-recorder.mjs';
import * as L from '../dist/lab/index.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'captures/lab');
const HTTP = `http://${L.SERVER_ADDR}`;
const SCRIPT_URL = `${HTTP}/boot.ipxe`;
const UEFI_NIC = { firmware: 'uefi', romfile: '' }; // EDK2's own VirtioNetDxe + PXE: Arch:00007 firmware DHCP
const BIOS_NIC = { firmware: 'bios' }; // QEMU's default virtio-net ROM = iPXE

const fetched = (h, path) => () => read(h.logFile).includes(path);

/** @type {Record<string, {file: string, client: object|'udhcpc', second?: boolean, maxMs: number, settleMs?: number, setup: Function}>} */
const SCENARIOS = {
  'uefi-pxe-dnsmasq': {
    file: 'uefi-pxe-dnsmasq.pcapng',
    client: UEFI_NIC,
    maxMs: 150_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'snponly.efi', biosBootFile: 'undionly.kpxe', ipxeBootFile: SCRIPT_URL });
      const n = await L.startNginx(lab, { root });
      return { servers: [d, n], done: fetched(n, 'initrd.img') };
    },
  },
  'bios-ipxe-dnsmasq': {
    file: 'bios-ipxe-dnsmasq.pcap',
    client: BIOS_NIC,
    maxMs: 150_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root, biosBootFile: 'undionly.kpxe', efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL });
      const n = await L.startNginx(lab, { root });
      return { servers: [d, n], done: fetched(n, 'initrd.img') };
    },
  },
  'uefi-pxe-kea': {
    file: 'uefi-pxe-kea.pcapng',
    client: UEFI_NIC,
    maxMs: 150_000,
    async setup(lab, root) {
      const k = await L.startKea(lab, { efiBootFile: 'snponly.efi', biosBootFile: 'undionly.kpxe', ipxeBootFile: SCRIPT_URL });
      const t = await L.startTftpd(lab, { root });
      const n = await L.startNginx(lab, { root });
      return { servers: [k, t, n], done: fetched(n, 'initrd.img') };
    },
  },
  'broken-no-bootfile': {
    file: 'broken-no-bootfile.pcapng',
    client: UEFI_NIC,
    maxMs: 70_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root });
      return { servers: [d], done: () => /PXE-E\d\d/.test(read(L.serialLogOf(lab))) };
    },
  },
  'broken-missing-tftp-file': {
    file: 'broken-missing-tftp-file.pcapng',
    client: UEFI_NIC,
    maxMs: 70_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'missing/bootx64.efi', ipxeBootFile: SCRIPT_URL });
      return { servers: [d], done: () => count(read(d.logFile), /not found/g) >= 2 };
    },
  },
  'broken-ipxe-loop': {
    file: 'broken-ipxe-loop.pcapng',
    client: BIOS_NIC,
    maxMs: 120_000,
    async setup(lab, root) {
      // No iPXE tag: every DHCP, also iPXE's own, is told to load undionly.kpxe again.
      const d = await L.startDnsmasq(lab, { tftpRoot: root, extraLines: [`dhcp-boot=undionly.kpxe,,${L.SERVER_ADDR}`] });
      return { servers: [d], done: () => count(read(d.logFile), /sent \S*undionly\.kpxe/g) >= 3 };
    },
  },
  'broken-two-dhcp-servers': {
    file: 'broken-two-dhcp-servers.pcapng',
    client: UEFI_NIC,
    second: true,
    maxMs: 150_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, {
        tftpRoot: root, efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL, poolStart: '198.51.100.100', poolEnd: '198.51.100.149',
      });
      const n = await L.startNginx(lab, { root });
      // A second, independent address server on srv2 with its own pool and its own idea of the boot file.
      const k = await L.startKea(lab, {
        ns: lab.ns.srv2, poolStart: '198.51.100.150', poolEnd: '198.51.100.200', efiBootFile: 'other.efi', nextServer: L.SERVER2_ADDR,
      });
      return { servers: [d, n, k], done: () => fetched(n, 'initrd.img')() || /PXE-E\d\d/.test(read(L.serialLogOf(lab))) };
    },
  },
  'proxydhcp-only': {
    file: 'proxydhcp-only.pcapng',
    client: UEFI_NIC,
    maxMs: 70_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { mode: 'proxy', tftpRoot: root, efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL });
      return { servers: [d], done: () => /PXE-E\d\d/.test(read(L.serialLogOf(lab))) };
    },
  },
  'proxydhcp-with-kea': {
    file: 'proxydhcp-with-kea.pcapng',
    client: UEFI_NIC,
    second: true,
    maxMs: 150_000,
    async setup(lab, root) {
      const k = await L.startKea(lab, { ns: lab.ns.srv2 }); // addresses only, no boot information
      const d = await L.startDnsmasq(lab, { mode: 'proxy', tftpRoot: root, efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL });
      const n = await L.startNginx(lab, { root });
      return { servers: [k, d, n], done: fetched(n, 'initrd.img') };
    },
  },
  'lossy-tftp': {
    file: 'lossy-tftp.pcapng',
    client: UEFI_NIC,
    maxMs: 180_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL });
      const n = await L.startNginx(lab, { root });
      const rules = lossyTftpRules();
      writeFileSync(join(lab.workDir, 'nft.rules'), rules);
      lab.execOk(lab.ns.srv, 'nft', ['-f', join(lab.workDir, 'nft.rules')]);
      const counters = join(lab.workDir, 'nft.counters-after-run.txt');
      const done = fetched(n, 'initrd.img');
      return {
        servers: [d, n],
        extraConfigs: [join(lab.workDir, 'nft.rules'), counters],
        done: () => done() && (writeFileSync(counters, lab.exec(lab.ns.srv, 'nft', ['list', 'ruleset']).stdout), true),
      };
    },
  },
  'phone-cisco-udhcpc': {
    file: 'phone-cisco-udhcpc.pcap',
    client: 'udhcpc',
    maxMs: 20_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, {
        tftpRoot: root,
        extraLines: ['dhcp-vendorclass=set:cisco,Cisco Systems', `dhcp-option=tag:cisco,150,${L.SERVER_ADDR}`],
      });
      return { servers: [d] };
    },
  },
  'phone-cisco-no-option150': {
    file: 'phone-cisco-no-option150.pcap',
    client: 'udhcpc',
    maxMs: 20_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root });
      return { servers: [d] };
    },
  },
};

export function lossyTftpRules() {
  // No netem on this kernel, so nftables numgen drops ~10% of the TFTP packets in the server ns:
  // - out: UDP the server sends (DHCP, sport 67, excepted) — as asked; these drops happen before
  //   any capture point, so on the wire they only show as stalls and server-side resends;
  // - in: UDP the server receives (DHCP excepted) — the dropped client ACKs ARE on the wire, and
  //   the server's duplicate DATA blocks that follow are the visible retransmissions.
  return `table inet pxecheck_lossy {
  chain out {
    type filter hook output priority 0; policy accept;
    ip saddr ${L.SERVER_ADDR} udp sport != 67 numgen random mod 100 < 10 counter drop
  }
  chain in {
    type filter hook input priority 0; policy accept;
    ip daddr ${L.SERVER_ADDR} udp dport != 67 numgen random mod 100 < 10 counter drop
  }
}
`;
}

const PHONE_CMD = ['udhcpc', '-i', 'cl0', '-V', 'Cisco Systems, Inc. IP Phone CP-8841', '-O', '150', '-O', '66', '-n', '-q', '-t', '3', '-T', '2', '-s', '/bin/true'];

/** The captures/lab clients: udhcpc as the phone on cl0, else one QEMU on tap0 until done(). */
function labRecipe(sc) {
  const phone = sc.client === 'udhcpc';
  return {
    ...sc,
    captureOn: (lab) => (phone ? lab.addClientInterface('cl0', '52:54:00:8e:41:01') : lab.addTap('tap0')),
    async drive(lab, ctx) {
      if (phone) {
        const r = lab.exec(lab.ns.cli, 'busybox', PHONE_CMD, { timeoutMs: sc.maxMs });
        return { note: `busybox ${PHONE_CMD.join(' ')} → exit ${r.code}` };
      }
      const mac = sc.client.firmware === 'uefi' ? '52:54:00:00:0e:f1' : '52:54:00:00:b1:05';
      return { note: await bootQemuUntil(L, lab, ctx, { ...sc.client, tap: 'tap0', mac, label: 'qemu' }, ctx.done) };
    },
  };
}

async function runScenario(name) {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`unknown capture ${name}; known: ${Object.keys(SCENARIOS).join(' ')}`);
  await recordCapture(L, { outDir: OUT, name, labName: 'pxcap', recipe: labRecipe(sc) });
}

await captureMain('make-lab-captures', Object.keys(SCENARIOS), runScenario, 'network namespaces, taps, nftables');
