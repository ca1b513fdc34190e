/** The HTML report's pure renderers: escaping, ladder arrows, the lazy device list, the summary. */
import { describe, it, expect } from 'vitest';
import type { Analysis } from '../../analysis/types.js';
import { BAD_MAC, GOOD_MAC, finding, sampleAnalysis } from '../../../test/cli/fixtures.js';
import { esc, jsonForScript } from './escape.js';
import { ladderLanes, ladderMessages, renderLadder, timesOf } from './ladder.js';
import { PAGE_SIZE, renderAnalysisHtml } from './page.js';
import { rankRootCauses, serversSeen, ttbpBins } from './summary.js';
import { renderFindings } from './findings.js';
import type { DeviceEntry } from './device.js';

const HOSTILE = '<img src=x onerror=alert(1)></script><script>alert(2)</script><!--';

/** The JSON the page script reads, parsed back as a browser would. */
function embedded(html: string): { pageSize: number; devices: DeviceEntry[] } {
  const m = /<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as { pageSize: number; devices: DeviceEntry[] };
}

function hostileAnalysis(): Analysis {
  const a = sampleAnalysis();
  a.file = `captures/${HOSTILE}.pcap`;
  const good = a.clients[0]!;
  good.vendorClass = HOSTILE;
  good.archName = null;
  const tftp = good.steps.find((s) => s.kind === 'tftp' && !s.probe);
  if (tftp?.kind === 'tftp') tftp.file = HOSTILE;
  a.findings[2]!.message = `server said ${HOSTILE}`;
  a.findings.push(finding('capture.truncated', null, [1], `capture-wide ${HOSTILE}`));
  return a;
}

describe('escaping', () => {
  it('escapes the five HTML specials', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('embeds JSON that cannot close its script element and parses back to the same value', () => {
    const v = { s: HOSTILE, u: '\u2028\u2029' };
    const j = jsonForScript(v);
    expect(j).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(j)).toEqual(v);
  });

  it('puts no markup from the capture into the page: names, vendor classes, messages', () => {
    const html = renderAnalysisHtml(hostileAnalysis());
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>alert');
    expect(html.match(/<script/g)).toHaveLength(2); // the data block and the page script
    expect(html).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/); // no other inline script may run
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The device fragments the script inserts are escaped too, and the raw text is kept for search.
    const { devices } = embedded(html);
    for (const d of devices) {
      expect(d.h + d.d).not.toContain('<img');
      expect(d.h + d.d).not.toContain('<script');
    }
    const good = devices.find((d) => d.m === GOOD_MAC)!;
    expect(good.d).toContain('&lt;/script&gt;&lt;script&gt;alert(2)');
    expect(good.s).toContain(HOSTILE.toLowerCase());
  });

  it('shows control characters as \\xNN', () => {
    const a = sampleAnalysis();
    a.file = 'x\u001b[31my.pcap';
    expect(renderAnalysisHtml(a)).toContain('x\\x1b[31my.pcap');
  });
});

describe('ladder', () => {
  const good = sampleAnalysis().clients[0]!;

  it('draws one arrow per message', () => {
    const msgs = ladderMessages(good.steps);
    // DORA with two offers (5), probe RRQ/OACK/ERROR (3), RRQ/OACK/DATA/ACK (4), iPXE DORA (4), GET/200 (2).
    expect(msgs).toHaveLength(18);
    const svg = renderLadder(good);
    expect(svg.match(/<g class="msg/g)).toHaveLength(msgs.length);
  });

  it('sends each offer from its own server and keeps the client\'s messages pointing at servers', () => {
    const msgs = ladderMessages(good.steps);
    const offers = msgs.filter((m) => m.label.startsWith('OFFER'));
    // Two offers in the firmware's DORA, one in iPXE's.
    expect(offers.map((m) => m.lane)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.1']);
    expect(offers.every((m) => !m.toServer)).toBe(true);
    expect(msgs.filter((m) => /^(DISCOVER|REQUEST|RRQ|GET)/.test(m.label)).every((m) => m.toServer)).toBe(true);
    expect(ladderLanes(msgs).map((l) => l.lane)).toEqual(['198.51.100.1', '198.51.100.2']);
  });

  it('collapses TFTP blocks into a range and shows the xid, boot file and HTTP status', () => {
    const labels = ladderMessages(good.steps).map((m) => m.label);
    expect(labels).toContain('DATA blocks 1–715 (1048576 bytes, 2 resent)');
    expect(labels.some((l) => l.startsWith('DISCOVER xid 0x1234'))).toBe(true);
    expect(labels.some((l) => l.startsWith('ACK') && l.includes('file ipxe.efi'))).toBe(true);
    expect(labels).toContain('HTTP 200 (312 bytes)');
  });

  it('never draws a message before the one it follows', () => {
    for (const known of [[null, 3.0, null, null], [null, null], [5, null, 1, null], [null]]) {
      const t = timesOf(0, 4, known);
      expect(t).toHaveLength(known.length);
      for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThanOrEqual(t[i - 1]!);
    }
  });

  it('draws an unanswered DISCOVER to the broadcast address, in red', () => {
    const bad = sampleAnalysis().clients[1]!;
    const d = bad.steps[0]!;
    if (d.kind === 'dhcp4') { d.server = null; d.messages = ['DISCOVER', 'DISCOVER']; }
    const msgs = ladderMessages(bad.steps);
    expect(msgs).toEqual([expect.objectContaining({ lane: '255.255.255.255', ok: false, label: 'DISCOVER ×2 xid 0x1234' })]);
  });
});

describe('device list', () => {
  function many(n: number, which = 1): Analysis {
    const a = sampleAnalysis();
    const proto = a.clients[which]!;
    a.clients = Array.from({ length: n }, (_, i) => ({ ...structuredClone(proto), mac: `52:54:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}` }));
    return a;
  }

  it('embeds every device as data and renders none of them as static DOM (the script shows one page)', () => {
    const html = renderAnalysisHtml(many(120));
    const { pageSize, devices } = embedded(html);
    expect(pageSize).toBe(PAGE_SIZE);
    expect(devices).toHaveLength(120);
    expect(html.replace(/<script[\s\S]*?<\/script>/g, '')).not.toContain('<details');
  });

  it('lists failed devices first', () => {
    const { devices } = embedded(renderAnalysisHtml(sampleAnalysis()));
    expect(devices.map((d) => d.m)).toEqual([BAD_MAC, GOOD_MAC]);
    expect(devices[0]!.h).toContain('FAILED');
  });

  it('stays reasonably sized for many devices', () => {
    // The booting sample device has 5 steps and 18 arrows: under 12 KB with its ladder SVG, so
    // 10,000 full chains stay near 100 MB and typical mixes (most devices one DORA) far less.
    const plain = renderAnalysisHtml(many(1_000, 0), { compressAbove: Infinity });
    expect(plain.length / 1_000).toBeLessThan(12_000);
    // Large device data is embedded gzip'd: the same devices in a fraction of the bytes.
    const packed = renderAnalysisHtml(many(1_000, 0), { compressAbove: 0 });
    expect(packed).toContain('type="application/gzip+base64"');
    expect(packed.length).toBeLessThan(plain.length / 4);
  });
});

describe('findings and summary', () => {
  it('nests consequences under their root cause', () => {
    const root = finding('tftp.error', GOOD_MAC, [7]);
    const cons = { ...finding('dhcp6.no-advertise', GOOD_MAC, [9]), causedBy: root.id };
    const html = renderFindings([root, cons], [root, cons]);
    const nested = /<ul class="cons">([\s\S]*)<\/ul>/.exec(html);
    expect(nested?.[1]).toContain('dhcp6.no-advertise');
    expect(html.match(/dhcp6\.no-advertise/g)).toHaveLength(1);
    expect(html).toContain('1 consequence:');
  });

  it('ranks root causes, bins every boot time, lists the servers', () => {
    const a = sampleAnalysis();
    expect(rankRootCauses(a.clients)).toEqual([['dhcp.nak', 1]]);
    expect(ttbpBins(a.clients).reduce((n, b) => n + b.count, 0)).toBe(1);
    const servers = serversSeen(a.clients);
    expect(servers.find((s) => s.address === '198.51.100.1')?.roles).toEqual(new Set(['DHCP', 'TFTP', 'HTTP']));
    expect(servers.find((s) => s.address === '198.51.100.2')?.roles).toEqual(new Set(['proxyDHCP']));
  });
});
