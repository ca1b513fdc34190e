/**
 * The analyze threshold flags: a light table (no engine imports) so `main.ts` can build the
 * options without loading the commands (start-up time).
 */
import { DEFAULT_THRESHOLDS, type AnalysisThresholds } from '../findings/types.js';

/** The threshold flags: flag name → AnalysisThresholds key, unit and whether it must be an integer. */
export const THRESHOLD_FLAGS = [
  { flag: 'slow-offer', key: 'slowOffer', integer: false, min: 0, describe: 'seconds from DISCOVER to the first OFFER above which dhcp.slow-offer is raised' },
  { flag: 'no-reply', key: 'noReply', integer: false, min: 0, describe: 'seconds without an answer after which a DHCP/proxyDHCP/TFTP exchange counts as unanswered' },
  { flag: 'loop-count', key: 'loopCount', integer: true, min: 2, describe: 'fetches of the same boot program that make a chainload loop' },
  { flag: 'tftp-idle', key: 'tftpIdle', integer: false, min: 0, describe: 'seconds of idle after which an unfinished TFTP transfer is a timeout' },
  { flag: 'slow-advertise', key: 'slowAdvertise', integer: false, min: 0, describe: 'seconds from the first DHCPv6 Solicit to the first Advertise above which dhcp6.slow-advertise is raised' },
  { flag: 'ipv6-stall', key: 'ipv6Stall', integer: false, min: 0, describe: 'seconds a boot client may spend on IPv6 before falling back or failing, above which ipv6.boot-stall is raised' },
  { flag: 'stall', key: 'stall', integer: false, min: 0, describe: 'seconds of silence after an unfinished boot attempt after which it counts as stopped (failed) rather than cut off by the end of the capture (incomplete)' },
] as const satisfies readonly { flag: string; key: keyof AnalysisThresholds; integer: boolean; min: number; describe: string }[];

/** `--help` text of a threshold flag, with its default from DEFAULT_THRESHOLDS. */
export function thresholdHelp(t: (typeof THRESHOLD_FLAGS)[number]): string {
  const d = DEFAULT_THRESHOLDS[t.key];
  return `${t.integer ? 'N' : 'S'}: ${t.describe} (default ${d}${t.integer ? '' : ' s'})`;
}

