/**
 * The verdict of every lab and field capture, reviewed by hand against the firmware's console
 * (captures/<folder>/configs/<name>/serial.log) and the packets (captures/field/README.md says how each was
 * made and what it shows): per device its role, outcome, root cause, and the outcomes of its boot
 * attempts in order. A change here is a change of verdict: review it like code.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { ROOT } from '../helpers/fixtures.js';

type Verdict = [role: string, outcome: string, rootCause: string | null, attempts: string[]];

const VERDICTS: Record<string, Record<string, Verdict>> = {
  'lab/bios-ipxe-dnsmasq.pcap': { '52:54:00:00:b1:05': ['boot', 'booted', null, ['booted']] },
  'lab/broken-ipxe-loop.pcapng': { '52:54:00:00:b1:05': ['boot', 'failed', 'ipxe.chainload-loop', ['failed']] },
  'lab/broken-missing-tftp-file.pcapng': { '52:54:00:00:0e:f1': ['boot', 'failed', 'tftp.error', ['failed','failed']] },
  'lab/broken-no-bootfile.pcapng': { '52:54:00:00:0e:f1': ['boot', 'failed', 'pxe.no-bootfile', ['failed','incomplete']] },
  'lab/broken-two-dhcp-servers.pcapng': { '52:54:00:00:0e:f1': ['boot', 'failed', 'net.port-unreachable', ['failed','incomplete']] },
  'lab/lossy-tftp.pcapng': { '52:54:00:00:0e:f1': ['boot', 'booted', null, ['booted']] },
  'lab/fragmented-tftp-ok.pcapng': { '52:54:00:00:f0:01': ['boot', 'booted', null, ['booted']] },
  'lab/icmp-frag-needed-http.pcapng': { 'ip:203.0.113.10': ['other', 'not-a-boot', null, []] },
  'lab/mtu-http-blackhole.pcapng': { '52:54:00:00:f0:01': ['boot', 'failed', 'net.pmtu-blackhole', ['failed']] },
  'lab/mtu-tftp-1468-server.pcapng': { '52:54:00:00:f0:01': ['boot', 'failed', 'net.pmtu-blackhole', ['failed']] },
  'lab/mtu-tftp-8192-lost.pcapng': { '52:54:00:00:f0:01': ['boot', 'failed', 'net.fragments-lost', ['failed']] },
  'lab/phone-cisco-no-option150.pcap': { '52:54:00:8e:41:01': ['boot', 'failed', 'phone.no-provisioning-server', ['failed']] },
  'lab/phone-cisco-udhcpc.pcap': { '52:54:00:8e:41:01': ['boot', 'incomplete', null, ['incomplete']] },
  'lab/proxydhcp-only.pcapng': { '52:54:00:00:0e:f1': ['boot', 'failed', 'dhcp.no-address-offer', ['failed','incomplete']] },
  'lab/proxydhcp-with-kea.pcapng': { '52:54:00:00:0e:f1': ['boot', 'booted', null, ['booted']] },
  'lab/uefi-pxe-dnsmasq.pcapng': { '52:54:00:00:0e:f1': ['boot', 'booted', null, ['booted']] },
  'lab/uefi-pxe-kea.pcapng': { '52:54:00:00:0e:f1': ['boot', 'booted', null, ['booted']] },
  'lab-v6/broken-ra-no-managed.pcapng': { '52:54:00:00:0e:f6': ['boot', 'failed', 'ra.missing-managed-flag', ['failed','failed','incomplete']] },
  'lab-v6/uefi-http6-dnsmasq-vc-workaround.pcapng': { '52:54:00:00:0e:f6': ['boot', 'booted', null, ['booted']] },
  'lab-v6/uefi-http6-dnsmasq.pcapng': { '52:54:00:00:0e:f6': ['boot', 'failed', 'httpboot.offer-ignored', ['failed']] },
  'lab-v6/uefi-http6-kea.pcapng': { '52:54:00:00:0e:f6': ['boot', 'booted', null, ['booted']] },
  'lab-v6/uefi-pxe6-dnsmasq.pcapng': { '52:54:00:00:0e:f6': ['boot', 'failed', 'dhcp6.status-error', ['failed','failed']] },
  'lab-v6/uefi-pxe6-kea-no-bootfile.pcapng': { '52:54:00:00:0e:f6': ['boot', 'failed', 'dhcp6.no-bootfile-url', ['failed','failed','incomplete']] },
  'lab-v6/uefi-pxe6-kea.pcapng': { '52:54:00:00:0e:f6': ['boot', 'failed', 'ipxe.chainload-loop', ['failed','failed']] },
  'field/boot-among-other-clients.pcapng': { '52:54:00:0a:00:03': ['other', 'not-a-boot', null, []], '52:54:00:0a:00:02': ['other', 'not-a-boot', null, []], '52:54:00:0a:00:01': ['other', 'not-a-boot', null, []], '52:54:00:0f:00:01': ['boot', 'booted', null, ['booted']] },
  'field/boot-order-fallthrough.pcapng': { '52:54:00:0f:00:01': ['boot', 'booted', null, ['failed','failed','booted']] },
  'field/decline-and-wrq.pcapng': { '52:54:00:0d:ec:01': ['other', 'not-a-boot', null, []] },
  'field/os-renew-then-boot.pcapng': { '52:54:00:0f:00:01': ['boot', 'booted', null, ['booted']] },
  'field/os-then-two-boots.pcapng': { '52:54:00:0f:00:01': ['boot', 'booted', null, ['booted','booted']] },
  'field/phone-cisco-tftp.pcap': { '52:54:00:8e:41:02': ['boot', 'booted', null, ['booted']] },
  'field/proxy-reply-from-67-booted.pcapng': { '52:54:00:0f:00:01': ['boot', 'booted', null, ['booted']] },
  'field/proxy-reply-from-67.pcapng': { '52:54:00:0f:00:01': ['boot', 'failed', 'proxydhcp.reply-wrong-port', ['failed']] },
  'field/tftp-port69-icmp.pcapng': { '52:54:00:0f:00:02': ['boot', 'booted', null, ['booted']] },
};

describe('verdicts of the lab and field captures', () => {
  for (const [file, devices] of Object.entries(VERDICTS)) {
    it(file, async () => {
      const a = await analyzeCapture(join(ROOT, 'captures', file));
      const got: Record<string, Verdict> = {};
      for (const c of a.clients) got[c.mac] = [c.role, c.outcome, c.rootCause, c.attempts.filter((x) => x.outcome !== 'not-a-boot').map((x) => x.outcome)];
      expect(got).toEqual(devices);
      // A failed device always names its root cause among the findings, at error severity.
      for (const c of a.clients.filter((x) => x.outcome === 'failed')) {
        const roots = c.attempts.map((x) => a.findings.find((f) => f.id === x.rootCauseId)).filter((f) => f !== undefined);
        expect(roots.some((f) => f.code === c.rootCause && f.severity === 'error')).toBe(true);
      }
      // Consequences point at a finding of the report.
      const ids = new Set(a.findings.map((f) => f.id));
      for (const f of a.findings) if (f.causedBy !== null) expect(ids.has(f.causedBy)).toBe(true);
    });
  }
});
