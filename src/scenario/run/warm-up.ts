/**
 * One played HTTP step before a run whose scenarios fetch over HTTP: a scenario of one client and
 * one `http` step against a fake server on the in-process loopback transport (no I/O, a fake
 * clock: over in a few milliseconds of CPU, nothing sent), so V8 has compiled the step's code (the
 * step loop, the URL and request checks, the HTTP client, the outcome and its expectations) before
 * the first real step is timed. Cold, that code cost the first HTTP step ~1 ms that belongs to no
 * server (measured: 0.6–1 ms from the step's start to its connect, 0.3–0.5 ms after its last byte;
 * 0.1–0.2 ms in all once warm), as much as a 20 MB body's transfer varies. The transports warm their
 * own side (relay: `prewarmTcp`).
 */
import { FakeClock } from '../clock.js';
import { runScenario } from '../driver.js';
import { parseScenario } from '../load.js';
import { LoopbackTransport } from '../transport/loopback.js';
import { asciiBytes } from '../../wire/bytes.js';
import { emitHttpResponse } from '../../wire/http/index.js';
import { TcpPort } from '../../wire/ports.js';

/** A documentation address (RFC 5737): the loopback transport never sends anything anywhere. */
const SERVER = '198.51.100.1';
const BODY = asciiBytes('warm\n');
const RESPONSE = emitHttpResponse({ status: 200, headers: [['Content-Type', 'text/plain'], ['Content-Length', String(BODY.length)]], body: BODY });
const SCENARIO = `name: http warm-up
budget: 10s
clients:
  - name: warm-up
    persona: uefi-x64
    mac: 02:00:00:00:00:01
    steps:
      - http: { url: "http://${SERVER}/warm-up", within: 5s, expect: { status: 200, size: ${BODY.length} } }
`;
/** The end of a request head: the fake server answers once it has one. */
const HEAD_END = '\r\n\r\n';

/** Runs the played step; true when it passed (false: the warm-up itself failed, nothing else). */
export async function warmHttpSteps(): Promise<boolean> {
  try {
    const clock = new FakeClock(0);
    const transport = new LoopbackTransport(clock, {
      tcp: [{
        addr: SERVER, port: TcpPort.HTTP,
        handle: (request) => (Buffer.from(request).toString('latin1').includes(HEAD_END) ? { response: RESPONSE } : null),
      }],
    });
    const r = await runScenario(parseScenario(SCENARIO, 'http-warm-up.yaml'), { transport, clock, target: { server: SERVER } });
    await transport.close();
    return r.ok;
  } catch {
    return false;
  }
}
