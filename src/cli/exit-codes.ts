/** Exit codes and usage errors live in src/errors.ts with every other error; re-exported for the CLI. */
export { ExitCode, UsageError } from '../errors.js';

/** `pxecheck: MSG` with one prefix, whoever already wrote one. */
export function errorLine(msg: string): string {
  return `pxecheck: ${msg.replace(/^(pxecheck:\s*)+/, '')}`;
}
