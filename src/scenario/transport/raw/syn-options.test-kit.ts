import { expect } from 'vitest';
import type { WireIssue } from '../../../wire/issues.js';
import { decodeTcpOptions, TcpOptionKind } from '../../../wire/tcp.js';

/** Our SYN's options by what they say, not their layout: MSS, window scale 8 (RFC 7323 §2.2),
 *  SACK permitted (RFC 2018 §2), whole 32-bit words within the 40 option bytes (RFC 9293 §3.1). */
export function expectSynOptions(options: Uint8Array, mss: number): void {
  const issues: WireIssue[] = [];
  const decoded = decodeTcpOptions(options, issues);
  expect(issues).toEqual([]);
  expect(options.length % 4).toBe(0);
  expect(options.length).toBeLessThanOrEqual(40);
  expect(decoded.filter((o) => o.kind === TcpOptionKind.MSS)).toEqual([{ kind: TcpOptionKind.MSS, mss }]);
  expect(decoded.filter((o) => o.kind === TcpOptionKind.WINDOW_SCALE)).toEqual([{ kind: TcpOptionKind.WINDOW_SCALE, shift: 8 }]);
  expect(decoded.filter((o) => o.kind === TcpOptionKind.SACK_PERMITTED)).toHaveLength(1);
}
