#!/usr/bin/env node
// Regenerates captures/lab-v6/*.pcapng: OVMF (EDK2's own network stack, romfile="") booting over
// IPv6 against real servers in throw-away namespaces. Needs root and a build of src/lab:
//   npx tsc -p tsconfig.json --outDir /tmp/pxv6/dist
//   PXECHECK_DIST=/tmp/pxv6/dist node scripts/make-lab-v6-captures.mjs [name…]
// Every scenario is bounded (maxMs) and its lab is destroyed in a finally.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { captureMain, labs } from './capture-main.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.PXECHECK_DIST ?? join(REPO, 'dist'));
const L = await import(pathToFileURL(join(DIST, 'lab/index.js')).href);
const V6 = await import(pathToFileURL(join(DIST, 'lab/v6.js')).href);

const OUT = join(REPO, 'captures/lab-v6');
const BOOT_URL = `tftp://[${L.SERVER_ADDR6}]/snponly.efi`;
const UEFI_NIC = { firmware: 'uefi', romfile: '' };
const HTTP_BASE6 = `http://[${L.SERVER_ADDR6}]`;
/** Option 16 payload EDK2's HttpBootDxe wants in the reply: enterprise 343, one class-data item "HTTPClient"
 *  (HttpBootDhcp6.c compares the 10 bytes after enterprise number and item length). */
const HTTPCLIENT_CLASS_HEX = '00000157000a48545450436c69656e74';

const read = (f) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
const serial = (lab) => read(L.serialLogOf(lab));
/** snponly.efi is running once iPXE prints its banner on the serial console. */
const ipxeStarted = (lab) => () => /iPXE/.test(serial(lab));

/** UEFI HTTP boot over IPv6 from dnsmasq, whose option6:16 is written as `vendorClass16`. */
function dnsmasqHttp6(file, settleMs, vendorClass16) {
  return {
    file,
    maxMs: 200_000,
    settleMs,
    fwCfg: { IPv4Support: 'no', IPv4PXESupport: 'no', IPv6PXESupport: 'no' },
    bootMenuWaitMs: 6_000,
    bootRoot: { httpBase: HTTP_BASE6 },
    async setup(lab, root) {
      const d = await V6.startDnsmasq6(lab, {
        ra: 'managed',
        extraLines: [
          'dhcp-vendorclass=set:httpclient,enterprise:343,HTTPClient',
          'dhcp-userclass=set:ipxe,iPXE',
          `dhcp-option=tag:httpclient,tag:!ipxe,option6:bootfile-url,${HTTP_BASE6}/snponly.efi`,
          `dhcp-option=tag:httpclient,tag:!ipxe,option6:16,${vendorClass16}`,
          `dhcp-option=tag:ipxe,option6:bootfile-url,${HTTP_BASE6}/boot.ipxe`,
        ],
      });
      const n = await L.startNginx(lab, { root, address: `[${L.SERVER_ADDR6}]` });
      // Done at iPXE's last fetch, or once the firmware gave up on HTTPv6.
      const gaveUp = () => /failed to load Boot\d+ "UEFI HTTPv6/.test(serial(lab));
      return { servers: [d, n], done: () => read(n.logFile).includes('initrd.img') || gaveUp() };
    },
  };
}

const SCENARIOS = {
  'uefi-pxe6-dnsmasq': {
    file: 'uefi-pxe6-dnsmasq.pcapng',
    maxMs: 240_000,
    settleMs: 12_000,
    async setup(lab, root) {
      const d = await V6.startDnsmasq6(lab, { tftpRoot: root, bootfileUrl: BOOT_URL, ra: 'managed' });
      return { servers: [d], done: ipxeStarted(lab) };
    },
  },
  'uefi-pxe6-kea': {
    file: 'uefi-pxe6-kea.pcapng',
    maxMs: 240_000,
    settleMs: 12_000,
    async setup(lab, root) {
      const r = await V6.startRadvd(lab, { managed: true });
      const k = await V6.startKea6(lab, { bootfileUrl: BOOT_URL });
      const t = await L.startTftpd(lab, { root, address: `[${L.SERVER_ADDR6}]` });
      return { servers: [r, k, t], done: ipxeStarted(lab) };
    },
  },
  'broken-ra-no-managed': {
    file: 'broken-ra-no-managed.pcapng',
    maxMs: 200_000,
    // Long settle: EDK2 boots anyway (it ignores M/O); what iPXE then does with M=0 O=0 is the point.
    settleMs: 25_000,
    async setup(lab, root) {
      // radvd: M=0 O=0; dnsmasq: DHCPv6 + TFTP with the boot file, but no RA of its own.
      const r = await V6.startRadvd(lab, { managed: false });
      const d = await V6.startDnsmasq6(lab, { tftpRoot: root, bootfileUrl: BOOT_URL, ra: 'none' });
      // Done once the firmware has given up on IPv6 too (second PXE error), or it loaded iPXE anyway.
      return { servers: [r, d], done: () => (serial(lab).match(/PXE-E\d\d/g) ?? []).length >= 2 || ipxeStarted(lab)() };
    },
  },
  'uefi-http6-kea': {
    file: 'uefi-http6-kea.pcapng',
    maxMs: 240_000,
    settleMs: 3_000,
    // Only the firmware's IPv6 HTTP boot path: no IPv4 stack, no PXE options in OVMF's boot order.
    fwCfg: { IPv4Support: 'no', IPv4PXESupport: 'no', IPv6PXESupport: 'no' },
    bootMenuWaitMs: 6_000,
    bootRoot: { httpBase: HTTP_BASE6 },
    async setup(lab, root) {
      const r = await V6.startRadvd(lab, { managed: true });
      const k = await startKea6Classes(lab, {
        httpClientUrl: `${HTTP_BASE6}/snponly.efi`,
        ipxeUrl: `${HTTP_BASE6}/boot.ipxe`,
      });
      const n = await L.startNginx(lab, { root, address: `[${L.SERVER_ADDR6}]` });
      // Done once iPXE ran boot.ipxe to its last fetch (initrd.img), all over IPv6.
      return { servers: [r, k, n], done: () => read(n.logFile).includes('initrd.img') };
    },
  },
  'uefi-pxe6-kea-no-bootfile': {
    file: 'uefi-pxe6-kea-no-bootfile.pcapng',
    maxMs: 300_000,
    settleMs: 8_000,
    async setup(lab, root) {
      // As uefi-pxe6-kea, but kea-dhcp6 has no option 59: addresses only.
      const r = await V6.startRadvd(lab, { managed: true });
      const k = await V6.startKea6(lab, {});
      const t = await L.startTftpd(lab, { root, address: `[${L.SERVER_ADDR6}]` });
      // Done once the firmware leaves PXEv6 for the next boot option.
      const leftPxe6 = () => /failed to load Boot\d+ "UEFI PXEv6|Start HTTP Boot over IPv4/.test(serial(lab));
      return { servers: [r, k, t], done: leftPxe6 };
    },
  },
  // dnsmasq does RA (M=1 O=1) and DHCPv6: option 59 plus vendor class "HTTPClient" for the firmware's
  // HTTP boot client (matched on its option 16, enterprise 343), boot.ipxe for iPXE (user class).
  // dnsmasq types option6:16 as a list of length-prefixed strings and cannot put an enterprise
  // number in front (hex is refused for it), so the reply carries 000a"HTTPClient" (12 bytes), which
  // EDK2 (OpLen >= 16, "HTTPClient" at offset 6) does not take for an HTTP offer.
  'uefi-http6-dnsmasq': dnsmasqHttp6('uefi-http6-dnsmasq.pcapng', 5_000, 'HTTPClient'),
  // As uefi-http6-dnsmasq, but option6:16 given as two strings "AB","HTTPClient": dnsmasq writes
  // 0002 4142 000a "HTTPClient", a well-formed vendor class for enterprise 0x00024142 (not 343) whose
  // one data item is "HTTPClient". EDK2 does not check the enterprise number, so it boots.
  'uefi-http6-dnsmasq-vc-workaround': dnsmasqHttp6('uefi-http6-dnsmasq-vc-workaround.pcapng', 3_000, 'AB,HTTPClient'),
};

/**
 * kea-dhcp6 with client classes: the firmware's HTTP boot client (option 16 "HTTPClient…", ent. 343)
 * gets option 59 = httpClientUrl plus the HTTPClient vendor class; iPXE (user class "iPXE") gets ipxeUrl.
 */
async function startKea6Classes(lab, o) {
  const config = (dir) => {
    const cfg = JSON.parse(V6.keaDhcp6Config(dir, {}));
    cfg.Dhcp6['client-classes'] = [
      // option[15].hex: 2-byte item length, then the user class text.
      { name: 'ipxe', test: "substring(option[15].hex,2,4) == 'iPXE'", 'option-data': [{ name: 'bootfile-url', data: o.ipxeUrl }] },
      {
        name: 'httpclient',
        // option[16].hex: enterprise (4), item length (2), then "HTTPClient:Arch:…".
        test: "not member('ipxe') and substring(option[16].hex,0,4) == 0x00000157 and substring(option[16].hex,6,10) == 'HTTPClient'",
        'option-data': [
          { name: 'bootfile-url', data: o.httpClientUrl },
          { name: 'vendor-class', 'csv-format': false, data: HTTPCLIENT_CLASS_HEX },
        ],
      },
    ];
    return JSON.stringify(cfg, null, 2) + '\n';
  };
  return L.launchKea(lab, 6, 'kea6', undefined, undefined, config, (dir) => existsSync(join(dir, 'kea-dhcp6.log')));
}

/**
 * L.startCapture with a 32 MiB kernel buffer (-B): HTTP boot sends the EFI binary in one burst, and
 * with the default buffer tcpdump on a busy 2-core host dropped a third of its segments.
 */
async function startCaptureBig(lab, o) {
  const label = `tcpdump-${o.iface}`;
  const args = ['-i', o.iface, '-n', '-s', '0', '-B', '32768', '-U', '--immediate-mode', '-Z', 'root', '-w', o.file];
  const proc = await lab.startServer({
    label,
    ns: o.ns,
    cmd: 'tcpdump',
    args,
    ready: () => read(lab.processes.find((p) => p.label === label)?.logFile ?? '').includes('listening on'),
    readyTimeoutMs: 5_000,
  });
  return { proc, file: o.file, stop: () => lab.stop(proc, 'SIGINT', 5_000) };
}

/**
 * L.startQemu plus OVMF fw_cfg knobs (opt/org.tianocore/<name>=<value>) and a boot-menu wait, which
 * qemuArgs has no option for. The wait matters when "HTTP Boot over IPv6" is the first boot option:
 * EDK2 2022.11's HttpBootDhcp6Sarr calls Dhcp6->Start before the link-local address has passed DAD,
 * gets EFI_NO_MAPPING and gives up at once ("Unexpected network error", no packet sent; upstream
 * fixed it in 2025, commit 11f1d28bcb). OVMF's countdown (-boot menu=on,splash-time) lets DAD finish.
 */
async function startQemuFw(lab, o, fwCfg, bootMenuWaitMs) {
  const label = o.label ?? 'qemu';
  const varsCopy = join(lab.workDir, `${label}-OVMF_VARS.fd`);
  copyFileSync(L.OVMF_VARS, varsCopy);
  const args = L.qemuArgs(o, L.kvmWorks() ? 'kvm' : 'tcg', varsCopy, L.serialLogOf(lab, label));
  const boot = args.indexOf('-boot');
  if (bootMenuWaitMs && boot >= 0) args[boot + 1] = `order=n,menu=on,splash-time=${bootMenuWaitMs}`;
  for (const [k, v] of Object.entries(fwCfg)) args.push('-fw_cfg', `name=opt/org.tianocore/${k},string=${v}`);
  return lab.startServer({ label, ns: lab.ns.cli, cmd: 'qemu-system-x86_64', args, readyTimeoutMs: 1_000 });
}

async function runScenario(name) {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`unknown capture ${name}; known: ${Object.keys(SCENARIOS).join(' ')}`);
  const started = Date.now();
  const out = join(OUT, sc.file);
  const cfgDir = join(OUT, 'configs', name);
  const lab = await L.createLab({ name: 'pxv6' });
  labs.current = lab;
  try {
    const root = L.makeBootRoot(join(lab.workDir, 'boot'), sc.bootRoot ?? {});
    const { servers, done } = await sc.setup(lab, root);
    const iface = lab.addTap('tap0');
    const raw = join(lab.workDir, 'capture.pcap');
    const cap = await startCaptureBig(lab, { ns: lab.ns.cli, iface, file: raw });
    let qemu;
    let clientNote = '';
    try {
      const qo = { ...UEFI_NIC, tap: iface, mac: '52:54:00:00:0e:f6', label: 'qemu' };
      qemu = sc.fwCfg ? await startQemuFw(lab, qo, sc.fwCfg, sc.bootMenuWaitMs) : await L.startQemu(lab, qo);
      clientNote = `qemu-system-x86_64 ${qemu.child.spawnargs.slice(5).join(' ')}`;
      const ok = await L.waitFor(() => done(), sc.maxMs, 500);
      clientNote += ok ? '' : ' (stopped at the time limit)';
      await L.sleep(sc.settleMs);
    } finally {
      await cap.stop();
      if (qemu) await lab.stop(qemu);
    }
    mkdirSync(OUT, { recursive: true });
    copyFileSync(raw, out);
    L.toPcapng(out);
    rmSync(cfgDir, { recursive: true, force: true });
    mkdirSync(cfgDir, { recursive: true });
    for (const s of servers) for (const f of s.configFiles) copyFileSync(join(s.dir, f), join(cfgDir, `${s.proc.label}-${f}`));
    writeFileSync(join(cfgDir, 'client.txt'), `${clientNote}\n`);
    copyFileSync(L.serialLogOf(lab), join(cfgDir, 'serial.log'));
    for (const s of servers) copyFileSync(s.logFile, join(cfgDir, `${s.proc.label}.log`));
    writeFileSync(join(cfgDir, 'tcpdump.log'), read(cap.proc.logFile));
  } finally {
    await lab.destroy();
    labs.current = undefined;
  }
  console.log(`${name}: ${sc.file} ${statSync(out).size} bytes in ${Math.round((Date.now() - started) / 1000)} s`);
}

await captureMain('make-lab-v6-captures', Object.keys(SCENARIOS), runScenario, 'network namespaces, taps');
