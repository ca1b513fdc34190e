/**
 * One verdict line per device: outcome, where it stopped, the root cause, the PXE error the user
 * saw, and how many findings followed from it. Shared by the text, JUnit (and HTML) reports.
 */
import type { AttemptReport, ClientReport } from '../analysis/types.js';
import type { Finding } from '../findings/types.js';
import { entryText } from '../flow/attempts.js';
import type { Palette } from './color.js';
import { printable } from './analyze-text.js';
import { findingIndex, type FindingIndex } from './finding-index.js';

const STAGE_TEXT: Record<NonNullable<AttemptReport['stage']>, string> = {
  dhcp: 'DHCP', proxydhcp: 'proxyDHCP', 'boot-program': 'boot program', ipxe: 'iPXE', script: 'iPXE script', kernel: 'kernel', config: 'config',
};

/** How each boot entry reads (the flow layer's names, one table). */
export function entryLabel(e: AttemptReport['entry']): string {
  return entryText(e);
}

/** An attempt's boot entry; a transfer whose DHCP is there with what says it boots cut off by the
 *  snap length says so (its DHCP is not missing). */
export function attemptEntryLabel(a: AttemptReport): string {
  if (a.entry === 'transfer' && dhcpIdentityCut(a.steps)) return 'a transfer, its DHCP options cut by the snap length';
  return entryLabel(a.entry);
}

function dhcpIdentityCut(steps: AttemptReport['steps']): boolean {
  return steps.some((s) => s.kind === 'dhcp4' && s.cut === 'identity');
}

export function stageLabel(s: AttemptReport['stage']): string {
  return s === null ? 'start' : STAGE_TEXT[s];
}

/** Why the capture cannot judge a boot, from its blind-spot finding's code. */
export function blindSpotText(code: string): string {
  if (code === 'capture.one-sided') return 'it holds one side of the exchange only';
  if (code === 'capture.snaplen') return 'the snap length cut its frames short';
  return 'the capture does not show it';
}

/** Where a failed attempt stopped, named by the protocol of its root cause where it has one. */
export function failedAt(a: AttemptReport, root: Finding | undefined): string {
  const code = root?.code ?? '';
  const family = code.split('.')[0];
  if (family === 'tftp') return 'TFTP';
  if (family === 'http') return 'HTTP';
  if (family === 'proxydhcp') return 'proxyDHCP';
  if (family === 'dhcp6') return 'DHCPv6';
  if (family === 'ra') return 'RA';
  if (family === 'ipv6') return 'IPv6';
  if (code === 'ipxe.chainload-loop') return 'iPXE';
  if (family === 'httpboot' && a.entry.endsWith('6')) return 'DHCPv6';
  if (family === 'dhcp' || family === 'pxe' || family === 'httpboot' || family === 'phone') {
    return code === 'pxe.arch-mismatch' ? 'boot program' : a.stage === 'ipxe' ? 'iPXE DHCP' : 'DHCP';
  }
  if (code === 'net.fragments-lost' || code === 'net.pmtu-blackhole' || code === 'net.packet-too-big') {
    return root!.message.startsWith('HTTP') ? 'HTTP' : root!.message.startsWith('TFTP') ? 'TFTP' : stageLabel(a.stage);
  }
  if (code === 'net.port-unreachable') {
    return a.stage === 'proxydhcp' ? 'proxyDHCP' : a.stage === 'dhcp' ? 'DHCP' : a.stage === 'boot-program' ? 'TFTP' : stageLabel(a.stage);
  }
  return stageLabel(a.stage);
}

/** A short quote of what the root cause says: the TFTP error text, the HTTP status. */
function rootQuote(f: Finding): string {
  const tftp = /ERROR \d+ \((.*)\) from/.exec(f.message);
  if (tftp) return ` "${tftp[1]}"`;
  const http = /→ HTTP (\d+)/.exec(f.message);
  if (http) return ` HTTP ${http[1]}`;
  return '';
}

function deviceLabel(c: ClientReport): string {
  const parts = [c.mac];
  if (c.archName) parts.push(c.archName);
  else if (c.vendorClass) parts.push(c.vendorClass.length > 40 ? `${c.vendorClass.slice(0, 39)}…` : c.vendorClass);
  return parts.join(' ');
}

export function verdictLine(c: ClientReport, findings: readonly Finding[] | FindingIndex, pal: Palette): string {
  const head = printable(deviceLabel(c));
  if (c.outcome === 'not-a-boot') return `${head} ${pal.dim('not a boot client')} (${c.roleReason})`;
  const boots = c.attempts.filter((a) => a.outcome !== 'not-a-boot');
  const tries = boots.length > 1 ? ` (${boots.length} attempts)` : '';
  if (c.outcome === 'booted') {
    const a = boots.find((x) => x.outcome === 'booted');
    const t = a?.timeToBootProgram == null ? '' : `, boot program after ${a.timeToBootProgram.toFixed(1)} s`;
    if (a?.entry === 'transfer') {
      // Its DHCP may be there with what says it boots cut off (a snap length), not missing.
      const dhcp = dhcpIdentityCut(c.steps) ? 'its DHCP options were cut by the snap length' : 'its DHCP is not in the capture';
      return `${head} booted: fetched ${a.bootProgram ? printable(a.bootProgram) : 'its files'} (${dhcp})${tries}`;
    }
    return `${head} booted${a ? ` by ${entryLabel(a.entry)}${a.bootProgram ? ` (${printable(a.bootProgram)})` : ''}` : ''}${t}${tries}`;
  }
  if (c.outcome === 'incomplete') {
    const a = boots[boots.length - 1];
    if (c.blindSpot) {
      return `${head} ${pal.severity('warning', 'INCOMPLETE')}${a ? ` after ${stageLabel(a.stage)} (${entryLabel(a.entry)})` : ''}: cannot be judged from this capture, ${blindSpotText(c.blindSpot)} (${c.blindSpot})${tries}`;
    }
    return `${head} ${pal.severity('warning', 'INCOMPLETE')}${a ? ` after ${stageLabel(a.stage)} (${entryLabel(a.entry)})` : ''}: the capture ends before the boot does, no error seen${tries}`;
  }
  const a = boots.find((x) => x.rootCause !== null && x.rootCause === c.rootCause) ?? boots.find((x) => x.rootCause !== null);
  const idx = findingIndex(findings);
  const root = a ? idx.get(a.rootCauseId ?? '') : idx.ofClient(c.mac).find((f) => f.code === c.rootCause);
  const consequences = root ? idx.consequences(root.id).length : 0;
  const pxe = a?.pxeError ? ` (${a.pxeError})` : '';
  const cons = consequences > 0 ? ` — ${consequences} consequence${consequences === 1 ? '' : 's'}` : '';
  const at = a ? ` at ${failedAt(a, root)}` : '';
  return `${head} ${pal.fail('FAILED')}${at}: ${c.rootCause ?? '?'}${root ? printable(rootQuote(root)) : ''}${pxe}${cons}${tries}`;
}
