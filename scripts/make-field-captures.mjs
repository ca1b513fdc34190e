#!/usr/bin/env node
// Regenerates captures/field/*: the field shapes of issue 10 (proxyDHCP answering from port 67, a
// TFTP server answering from port 69 amid ICMP unreachables, OS DHCP clients and a printer beside a
// PXE boot, a machine that boots twice, OVMF's boot order, a DHCPDECLINE and a WRQ, a phone that
// fetches its config) with real firmware and real servers in throw-away namespaces (lab `afield`).
// Needs root and a build: `npx tsc -p tsconfig.json`.
//   node scripts/make-field-captures.mjs            # all
//   node scripts/make-field-captures.mjs proxy-reply-from-67
// Every scenario is bounded (maxMs) and its lab is destroyed in a finally (capture-recorder.mjs).
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMain } from './capture-main.mjs';
import { bootQemuUntil, count, read, recordCapture, startQemuClient } from './capture-recorder.mjs';
import * as L from '../dist/lab/index.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'captures/field');
const HTTP = `http://${L.SERVER_ADDR}`;
const SCRIPT_URL = `${HTTP}/boot.ipxe`;
const UEFI_NIC = { firmware: 'uefi', romfile: '' }; // EDK2's own VirtioNetDxe + PXE (see captures/lab/README.md)
const BIOS_NIC = { firmware: 'bios' }; // QEMU's default virtio-net ROM = iPXE
const UEFI_MAC = '52:54:00:0f:00:01';
const BIOS_MAC = '52:54:00:0f:00:02';
const TINY_TFTPD = join(REPO, 'scripts/tftp-port69-server.py');

const serial = (lab, label = 'qemu') => read(L.serialLogOf(lab, label));
const fetched = (h, path, times = 1) => () => count(read(h.logFile), new RegExp(`GET /${path}`, 'g')) >= times;
const pxeError = (lab) => () => /PXE-E\d\d/.test(serial(lab));

/** One QEMU on tap0, captured on tap0, until done() (the captures/lab shape). */
function oneQemu(nic, mac) {
  return {
    captureOn: (lab) => lab.addTap('tap0'),
    drive: async (lab, ctx) => ({ note: await bootQemuUntil(L, lab, ctx, { ...nic, tap: 'tap0', mac, label: 'qemu' }, ctx.done) }),
  };
}

/** A bridge port for another device; `ipv6` enables IPv6 on it alone (the client ns has it off), no DAD. */
function addDevice(lab, ifname, mac, { ipv6 = false } = {}) {
  lab.addClientInterface(ifname, mac);
  if (ipv6) {
    lab.execOk(lab.ns.cli, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.accept_dad=0`]);
    lab.execOk(lab.ns.cli, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.disable_ipv6=0`]);
  }
  return ifname;
}

/** udhcpc event script that configures the leased address (so the device can then use TFTP). */
function udhcpcScript(lab) {
  const file = join(lab.workDir, 'udhcpc-configure.sh');
  writeFileSync(file, '#!/bin/sh\n# udhcpc event script: put the leased address on the interface, nothing else.\n'
    + 'case "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface";; esac\n');
  chmodSync(file, 0o755);
  return file;
}

/** ISC dhclient as a long-running OS client; files in the lab's work dir, no system script. */
async function startDhclient(lab, label, args) {
  const dir = L.ensureDir(join(lab.workDir, label));
  writeFileSync(join(dir, 'dhclient.conf'), '# empty: ISC dhclient defaults\n');
  return lab.startServer({
    label,
    ns: lab.ns.cli,
    cmd: 'dhclient',
    args: ['-d', '-v', '-sf', '/bin/true', '-cf', join(dir, 'dhclient.conf'), '-lf', join(dir, 'leases'), '-pf', join(dir, 'pid'), ...args],
  });
}

/** The OS's last exchange before the reboot: on veth os0, which carries the VM's MAC. */
const OS_EXCHANGES = {
  'dhcpv6-information-request': {
    ipv6: true,
    args: () => ['-6', '-S', 'os0'],
    done: /Reply/,
    note: 'dhclient -6 -S -d -v -sf /bin/true -cf <empty> os0',
  },
  'dhcpv4-init-reboot': {
    ipv6: false,
    // A remembered, unexpired lease makes dhclient start in INIT-REBOOT: a REQUEST for that address.
    args: (lab) => {
      writeFileSync(join(L.ensureDir(join(lab.workDir, 'os-dhclient')), 'leases'), rememberedLease());
      return ['-4', 'os0'];
    },
    done: /DHCPACK|bound to/,
    note: 'dhclient -4 -d -v -sf /bin/true -cf <empty> -lf <a remembered lease of 198.51.100.175> os0',
  },
};

const RECIPES = {
  // Shape 1: dnsmasq proxyDHCP whose replies to the 4011 REQUEST leave with source port 67
  // (an nftables stateless rewrite in the proxy's namespace); kea on srv2 hands out addresses.
  // EDK2 accepts that ACK and loads snponly.efi; iPXE drops proxy ACKs not from 4011 and stops.
  'proxy-reply-from-67': proxyFrom67({ file: 'proxy-reply-from-67.pcapng' }),
  // The same, but kea also gives iPXE its script URL (class ipxe), so iPXE boots even though it
  // drops the proxy's port-67 answers: the chain of defect 1 that ends in a boot.
  'proxy-reply-from-67-booted': proxyFrom67({ file: 'proxy-reply-from-67-booted.pcapng', keaIpxeScript: true }),

  // Shape 2: the iPXE ROM loads boot.ipxe, vmlinuz and initrd.img by TFTP from a server that
  // answers from port 69 while its kernel sends ICMP port unreachable for the ACKs.
  'tftp-port69-icmp': {
    file: 'tftp-port69-icmp.pcapng',
    second: true,
    maxMs: 120_000,
    bootRoot: { script: tftpBootScript() },
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { extraLines: [`dhcp-boot=tag:ipxe,boot.ipxe,,${L.SERVER2_ADDR}`] });
      const t = await lab.startServer({
        label: 'tftp69',
        ns: lab.ns.srv2,
        cmd: '/usr/bin/python3',
        args: ['-u', TINY_TFTPD, L.SERVER2_ADDR, root, '--max-transfers', '20', '--max-seconds', '150'],
        ready: () => read(join(lab.workDir, 'tftp69.out')).includes('listening'),
      });
      const tiny = { proc: t, dir: lab.workDir, configFiles: ['tftp69.out'], logFile: t.logFile };
      return { servers: [d, tiny], done: () => /initrd\.img: sent/.test(read(t.logFile)) };
    },
    ...oneQemu(BIOS_NIC, BIOS_MAC),
  },

  // Shape 3: a UEFI PXE boot while OS DHCP clients (busybox udhcpc, ISC dhclient) and a
  // printer-like DHCPv6 client (dhclient -6: no option 16/61, no ORO 59) share the segment.
  // Captured on br0 (promiscuous: every frame crossing the bridge), like a mirror port.
  'boot-among-other-clients': {
    file: 'boot-among-other-clients.pcapng',
    maxMs: 150_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'snponly.efi', biosBootFile: 'undionly.kpxe', ipxeBootFile: SCRIPT_URL });
      const n = await L.startNginx(lab, { root });
      return { servers: [d, n], done: fetched(n, 'initrd.img') };
    },
    captureOn(lab) {
      lab.addTap('tap0');
      addDevice(lab, 'os1', '52:54:00:0a:00:01');
      addDevice(lab, 'os2', '52:54:00:0a:00:02');
      addDevice(lab, 'prn0', '52:54:00:0a:00:03', { ipv6: true });
      return lab.bridge;
    },
    async drive(lab, ctx) {
      const notes = [await startQemuClient(L, lab, ctx, { ...UEFI_NIC, tap: 'tap0', mac: UEFI_MAC, label: 'qemu' })];
      await L.sleep(4_000);
      const prn = await startDhclient(lab, 'printer-dhclient6', ['-6', 'prn0']);
      notes.push(`printer: dhclient -6 -d -v -sf /bin/true -cf <empty> prn0 (MAC 52:54:00:0a:00:03)`);
      const os2 = await startDhclient(lab, 'os-dhclient', ['-4', 'os2']);
      notes.push(`OS 2: dhclient -4 -d -v -sf /bin/true -cf <empty> os2 (MAC 52:54:00:0a:00:02)`);
      const udhcpc = ['udhcpc', '-i', 'os1', '-f', '-q', '-t', '5', '-T', '2', '-s', '/bin/true'];
      const r = lab.exec(lab.ns.cli, 'busybox', udhcpc, { timeoutMs: 30_000 });
      notes.push(`OS 1: busybox ${udhcpc.join(' ')} (MAC 52:54:00:0a:00:01) → exit ${r.code}`);
      const ok = await L.waitFor(() => ctx.done(), ctx.maxMs, 500);
      for (const p of [prn, os2]) await lab.stop(p);
      return { note: `${notes.join('\n')}${ok ? '' : '\n(stopped at the time limit)'}` };
    },
  },

  // Shape 4: the OS of the machine (its MAC on a veth) asks DHCPv6 Information-Request, goes
  // away, and some seconds later the same MAC's firmware starts UEFI PXE; after the first boot is
  // done the machine is reset (QEMU monitor system_reset) and boots a second time.
  'os-then-two-boots': osThenBoot({ file: 'os-then-two-boots.pcapng', os: 'dhcpv6-information-request', reset: true }),
  // The same with an IPv4 OS: its last words are a DHCPREQUEST in INIT-REBOOT state for the
  // address it remembers (dhclient with a remembered lease); one boot.
  'os-renew-then-boot': osThenBoot({ file: 'os-renew-then-boot.pcapng', os: 'dhcpv4-init-reboot', reset: false }),

  // Shape 5: OVMF's boot order in turn: PXEv4 (boot file missing on TFTP) → PXEv6 (no DHCPv6
  // server) → HTTPv4 (dnsmasq answers HTTPClient with the snponly.efi URL) → iPXE script.
  'boot-order-fallthrough': {
    file: 'boot-order-fallthrough.pcapng',
    maxMs: 260_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, {
        tftpRoot: root, efiBootFile: 'missing/bootx64.efi', ipxeBootFile: SCRIPT_URL,
        extraLines: [
          'dhcp-vendorclass=set:http,HTTPClient',
          `dhcp-boot=tag:http,tag:!ipxe,${HTTP}/snponly.efi`,
          'dhcp-option-force=tag:http,60,HTTPClient',
        ],
      });
      const n = await L.startNginx(lab, { root });
      const gaveUp = () => /failed to load Boot\d+ "UEFI HTTPv6/.test(serial(lab));
      return { servers: [d, n], done: () => fetched(n, 'initrd.img')() || gaveUp() };
    },
    ...oneQemu(UEFI_NIC, UEFI_MAC),
  },

  // Shape 6: udhcpc -a (ARP check) is offered an address another host (srv2) already uses and
  // sends DHCPDECLINE, gets the next address, then uploads a file by TFTP WRQ (tftpd-hpa -c).
  'decline-and-wrq': {
    file: 'decline-and-wrq.pcapng',
    second: true,
    maxMs: 60_000,
    async setup(lab, root) {
      const k = await L.startKea(lab, {}); // Kea 2.2's iterative allocator offers the pool start first
      lab.execOk(lab.ns.srv2, 'ip', ['addr', 'add', `${L.POOL_START}/24`, 'dev', L.SERVER_IFACE]);
      const up = L.ensureDir(join(lab.workDir, 'upload'));
      const t = await L.startTftpd(lab, { root: up, allowCreate: true });
      return { servers: [k, t], upload: up };
    },
    captureOn: (lab) => addDevice(lab, 'cl0', '52:54:00:0d:ec:01'),
    async drive(lab, ctx) {
      const script = udhcpcScript(lab);
      const dhcp = ['udhcpc', '-i', 'cl0', '-a', '-f', '-q', '-n', '-t', '6', '-T', '2', '-A', '3', '-s', script];
      const r = lab.exec(lab.ns.cli, 'busybox', dhcp, { timeoutMs: 45_000 });
      const file = join(lab.workDir, 'switch-config.txt');
      writeFileSync(file, Array.from({ length: 80 }, (_, i) => `interface port${i + 1}\n  description pxecheck field capture\n`).join(''));
      const put = ['tftp', '-p', '-l', file, '-r', 'switch-config.txt', L.SERVER_ADDR];
      const p = lab.exec(lab.ns.cli, 'busybox', put, { timeoutMs: 20_000 });
      return {
        note: [
          `conflict: ${L.POOL_START}/24 also on srv2's eth0 (answers ARP)`,
          `busybox ${dhcp.join(' ').replace(script, 'udhcpc-configure.sh')} → exit ${r.code}`,
          `busybox ${put.join(' ').replace(file, 'switch-config.txt')} → exit ${p.code} ${p.stderr.trim()}`,
        ].join('\n'),
        extraConfigs: [script],
      };
    },
  },

  // Shape 7: a Cisco-phone-like client: udhcpc gets option 150, then fetches CTL/ITL (not there)
  // and its SEP<MAC>.cnf.xml by TFTP from that server, as the phones do.
  'phone-cisco-tftp': {
    file: 'phone-cisco-tftp.pcap',
    maxMs: 40_000,
    async setup(lab, root) {
      writeFileSync(join(root, `SEP${PHONE_MAC.replaceAll(':', '').toUpperCase()}.cnf.xml`), phoneConfig());
      const d = await L.startDnsmasq(lab, {
        tftpRoot: root,
        extraLines: ['dhcp-vendorclass=set:cisco,Cisco Systems', `dhcp-option=tag:cisco,150,${L.SERVER_ADDR}`],
      });
      return { servers: [d] };
    },
    captureOn: (lab) => addDevice(lab, 'cl0', PHONE_MAC),
    async drive(lab) {
      const script = udhcpcScript(lab);
      const dhcp = ['udhcpc', '-i', 'cl0', '-V', 'Cisco Systems, Inc. IP Phone CP-8841', '-O', '150', '-O', '66', '-f', '-q', '-n', '-t', '3', '-T', '2', '-s', script];
      const notes = [`busybox ${dhcp.join(' ').replace(script, 'udhcpc-configure.sh')} → exit ${lab.exec(lab.ns.cli, 'busybox', dhcp, { timeoutMs: 20_000 }).code}`];
      const sep = `SEP${PHONE_MAC.replaceAll(':', '').toUpperCase()}`;
      for (const f of [`CTL${sep}.tlv`, `ITL${sep}.tlv`, `${sep}.cnf.xml`]) {
        const get = ['tftp', '-g', '-l', '/dev/null', '-r', f, L.SERVER_ADDR];
        const r = lab.exec(lab.ns.cli, 'busybox', get, { timeoutMs: 10_000 });
        notes.push(`busybox ${get.join(' ')} → exit ${r.code} ${r.stderr.trim()}`);
      }
      return { note: notes.join('\n'), extraConfigs: [script] };
    },
  },
};

const PHONE_MAC = '52:54:00:8e:41:02';

/** Recipe for shape 1: kea (srv2) for addresses, dnsmasq proxy (srv) whose 4011 replies leave from 67. */
function proxyFrom67({ file, keaIpxeScript = false }) {
  return {
    file,
    second: true,
    maxMs: 150_000,
    settleMs: 1_000,
    async setup(lab, root) {
      const k = await L.startKea(lab, { ns: lab.ns.srv2, ...(keaIpxeScript ? { ipxeBootFile: SCRIPT_URL } : {}) });
      const d = await L.startDnsmasq(lab, { mode: 'proxy', tftpRoot: root, efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL });
      const n = await L.startNginx(lab, { root });
      const rules = join(lab.workDir, 'nft.rules');
      writeFileSync(rules, proxySport67Rules());
      lab.execOk(lab.ns.srv, 'nft', ['-f', rules]);
      const counters = join(lab.workDir, 'nft.counters-after-run.txt');
      const saveCounters = () => writeFileSync(counters, lab.exec(lab.ns.srv, 'nft', ['list', 'ruleset']).stdout);
      const initrd = fetched(n, 'initrd.img');
      return {
        servers: [k, d, n],
        extraConfigs: [rules, counters],
        // Stop at the last fetch, or once iPXE has given up, before OVMF moves to its next boot entry.
        done: () => (initrd() || pxeError(lab)() || /No more network devices/.test(serial(lab))) && (saveCounters(), true),
      };
    },
    ...oneQemu(UEFI_NIC, UEFI_MAC),
  };
}

function rememberedLease() {
  return `lease {
  interface "os0";
  fixed-address 198.51.100.175;
  option subnet-mask 255.255.255.0;
  option dhcp-server-identifier ${L.SERVER_ADDR};
  renew 4 2099/01/01 00:00:00;
  rebind 4 2099/01/01 00:00:00;
  expire 4 2099/01/01 00:00:00;
}
`;
}

/** Shape 4: an OS exchange with the machine's MAC, then its UEFI PXE boot (reset: and a second boot). */
function osThenBoot({ file, os, reset }) {
  const ex = OS_EXCHANGES[os];
  return {
    file,
    maxMs: 200_000,
    async setup(lab, root) {
      const d = await L.startDnsmasq(lab, {
        tftpRoot: root, efiBootFile: 'snponly.efi', ipxeBootFile: SCRIPT_URL,
        // Stateless DHCPv6 for the OS's Information-Request; ra-stateless also makes dnsmasq send RAs
        // (O=1, SLAAC prefix), as on a dual-stack office LAN, so iPXE also asks Information-Request.
        // Authoritative: the INIT-REBOOT REQUEST of an address dnsmasq has no lease for gets an answer.
        extraLines: ex.ipv6
          ? ['dhcp-range=::,constructor:eth0,ra-stateless', `dhcp-option=option6:dns-server,[${L.SERVER_ADDR6}]`]
          : ['dhcp-authoritative'],
      });
      const n = await L.startNginx(lab, { root });
      // nginx's access log: the second boot's GETs reuse the first boot's TCP port and ISN.
      return { servers: [d, n], initrd: n, extraConfigs: [n.logFile] };
    },
    captureOn(lab) {
      lab.addTap('tap0');
      addDevice(lab, 'os0', UEFI_MAC, { ipv6: ex.ipv6 });
      return lab.bridge;
    },
    async drive(lab, ctx) {
      // QEMU starts first: under TCG OVMF needs 12-20 s before its first DHCP, so an OS exchange
      // 4 s in lands 5-15 s before the firmware's Discover, as an OS's last words before a reboot do.
      const monitor = join(lab.workDir, 'qemu-monitor.sock');
      const cmd = await startQemuClient(L, lab, ctx, {
        ...UEFI_NIC, tap: 'tap0', mac: UEFI_MAC, label: 'qemu', ...(reset ? { monitorSocket: monitor, allowReboot: true } : {}),
      });
      await L.sleep(4_000);
      const proc = await startDhclient(lab, 'os-dhclient', ex.args(lab));
      const answered = await L.waitFor(() => ex.done.test(read(proc.logFile)), 5_000, 200);
      await lab.stop(proc);
      lab.execOk(lab.ns.cli, 'ip', ['link', 'del', 'os0']);
      const notes = [cmd, `4 s later, the OS on os0 (a veth with the VM's MAC): ${ex.note} → ${answered ? 'answered' : 'no answer in 5 s'}; stopped, os0 deleted`];
      const first = await L.waitFor(fetched(ctx.initrd, 'initrd.img', 1), ctx.maxMs / 2, 500);
      notes.push(`first boot ${first ? 'fetched initrd.img' : 'timed out'}`);
      if (reset) {
        await L.sleep(3_000);
        await L.qemuMonitor(monitor, 'system_reset');
        const second = await L.waitFor(fetched(ctx.initrd, 'initrd.img', 2), ctx.maxMs / 2, 500);
        notes.push(`3 s later monitor "system_reset"; second boot ${second ? 'fetched initrd.img' : 'timed out'}`);
      }
      return { note: notes.join('\n') };
    },
  };
}

function phoneConfig() {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<device>', '  <deviceProtocol>SIP</deviceProtocol>'];
  for (let i = 1; i <= 24; i++) lines.push(`  <line button="${i}"><featureLabel>pxecheck field line ${i}</featureLabel></line>`);
  lines.push('  <loadInformation>sip88xx.14-1-1-0001-136</loadInformation>', '</device>');
  return lines.join('\n') + '\n';
}

/** boot.ipxe for the port-69 server: kernel and initrd by TFTP from the same server. */
function tftpBootScript() {
  return `#!ipxe
echo pxecheck field: boot.ipxe from \${next-server} via \${filename}
kernel tftp://\${next-server}/vmlinuz console=ttyS0 || echo vmlinuz is a dummy: not bootable (expected)
initrd tftp://\${next-server}/initrd.img || echo initrd fetch failed
boot || echo boot failed (dummy kernel, expected)
echo pxecheck field: done
sleep 60
`;
}

/** proxyDHCP replies to the 4011 REQUEST leave from port 67: a stateless rewrite after conntrack. */
export function proxySport67Rules() {
  return `table ip pxecheck_sport67 {
  chain out {
    type filter hook output priority mangle; policy accept;
    ip saddr ${L.SERVER_ADDR} udp sport 4011 counter udp sport set 67
  }
}
`;
}

async function runRecipe(name) {
  const recipe = RECIPES[name];
  if (!recipe) throw new Error(`unknown capture ${name}; known: ${Object.keys(RECIPES).join(' ')}`);
  await recordCapture(L, { outDir: OUT, name, labName: 'afield', recipe });
}

await captureMain('make-field-captures', Object.keys(RECIPES), runRecipe, 'network namespaces, taps, nftables');
