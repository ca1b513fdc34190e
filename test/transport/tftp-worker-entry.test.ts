// How the TFTP worker is started (tftp-offload.ts workerEntry): it inherits the process's Node
// options, which Node refuses when given as execArgv (bin/pxecheck.js's --max-semi-space-size, a
// user's --max-old-space-size: ERR_WORKER_INVALID_EXEC_ARGV crashed every run with a TFTP step), and
// only under --input-type, which fails a worker started on a file, goes through a string that imports it.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/scenario/transport/offload/tftp-offload.js';

const SCRIPT = new URL('data:text/javascript,import { parentPort } from "node:worker_threads"; parentPort.postMessage(process.execArgv)');

function answer(w: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('workerEntry', () => {
  it('starts on the script itself, passing no execArgv, whatever V8 or process flags the process has', () => {
    for (const argv of [[], ['--max-semi-space-size=4'], ['--max-old-space-size=4096', '--title=x', '--no-warnings']]) {
      expect(workerEntry(SCRIPT, argv)).toEqual({ entry: SCRIPT, evaluated: false });
    }
  });

  it('under --input-type (either spelling) starts a string that imports the script', async () => {
    for (const argv of [['--input-type=module', '--max-semi-space-size=4'], ['--input-type', 'commonjs']]) {
      const { entry, evaluated } = workerEntry(SCRIPT, argv);
      expect(evaluated).toBe(true);
      expect(entry).toContain(JSON.stringify(SCRIPT.href));
    }
    // The string really starts the script in a worker.
    const { entry } = workerEntry(SCRIPT, ['--input-type=module']);
    const w = new Worker(entry, { eval: true });
    try {
      expect(Array.isArray(await answer(w))).toBe(true);
    } finally {
      await w.terminate();
    }
  });
});
