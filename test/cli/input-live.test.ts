/**
 * A real `tcpdump -w -` on a lab interface piped into `pxecheck analyze -`: tcpdump listens on one
 * end of a veth pair in a namespace this test creates, busybox udhcpc sends DISCOVERs from the
 * other. Needs root, tcpdump and busybox; namespaces `bpipe-a`/`bpipe-b` are removed afterwards.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import type { AnalyzeJson } from '../../src/report/analyze-schema.js';

const A = 'bpipe-a';
const B = 'bpipe-b';
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const canRun = process.getuid?.() === 0 && has('tcpdump') && has('busybox') && has('ip');

function sh(script: string, timeout = 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1', PX: `${process.execPath} ${join(ROOT, 'bin/pxecheck.js')}` },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cleanup = (): void => void sh(`ip netns del ${A} 2>/dev/null; ip netns del ${B} 2>/dev/null; true`);

afterAll(cleanup);

describe.skipIf(!canRun)('tcpdump -w - | pxecheck analyze -', () => {
  it('analyzes the DISCOVERs of a live client as they stream in', () => {
    cleanup();
    const setup = sh(`set -e
      ip netns add ${A}; ip netns add ${B}
      ip link add bpv0 netns ${A} type veth peer name bpv1 netns ${B}
      ip -n ${A} link set bpv0 up; ip -n ${B} link set bpv1 up
      ip -n ${B} -o link show bpv1 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2`);
    expect(setup.code, setup.stderr).toBe(0);
    const mac = setup.stdout.trim();
    // udhcpc starts after tcpdump had time to listen and sends up to 6 DISCOVERs, 1 s apart;
    // tcpdump stops after 3 packets, which ends the pipe and the analysis. Bounded by timeouts.
    const r = sh(`set -o pipefail
      (sleep 1.5; timeout 12 ip netns exec ${B} busybox udhcpc -i bpv1 -n -q -t 6 -T 1 -s /bin/true >/dev/null 2>&1; true) &
      timeout 20 ip netns exec ${A} tcpdump -i bpv0 -U -c 3 -w - 'udp port 67 or udp port 68' 2>/dev/null | $PX analyze -f json -
      code=$?; wait; exit $code`);
    expect(r.stderr).toBe('');
    const a = JSON.parse(r.stdout) as AnalyzeJson;
    expect(a.file).toBe('stdin');
    expect(a.packets).toBe(3);
    expect(a.clients.map((c) => c.mac)).toEqual([mac]);
    const step = a.clients[0]!.steps[0]!;
    expect(step.kind).toBe('dhcp4');
    expect(step.kind === 'dhcp4' && step.messages.every((m) => m === 'DISCOVER')).toBe(true);
  });
});
