/**
 * The relay TFTP worker `pxecheck run --relay-from` starts before the rest of the run loads
 * (main.ts), then keeps or drops (run.ts) once the scenarios say whether a step fetches over TFTP.
 * Light on purpose (main.ts imports it for every command line): tftp-offload.js is imported once
 * and every call chains on that one promise, so a drop always runs after the start it cancels
 * (the callbacks of two separate import() calls promise no such order).
 */
type Offload = typeof import('./tftp-offload.js');

let offload: Promise<Offload | null> | null = null;

/** Starts the early worker (no-op when one runs or a pool has prewarmed); tests: a stand-in `script`. */
export function startEarlyTftpWorker(script?: URL): Promise<void> {
  offload ??= import('./tftp-offload.js').then((m) => m, () => null);
  // Never rejects (callers do not await it): a worker that cannot start is only a slower first transfer.
  return offload.then((m) => { m?.startTftpWorkerEarly(script); }).catch(() => {});
}

/** Stops the early worker unless a pool adopted it; loads nothing when none was started. */
export function dropEarlyTftpWorker(): Promise<void> {
  return offload === null ? Promise.resolve() : offload.then((m) => { m?.dropEarlyTftpWorker(); });
}
