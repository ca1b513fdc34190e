/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  /** Everything passed / no error finding. */
  OK: 0,
  /** An assertion failed or an error finding was reported. */
  FINDINGS: 1,
  /** Usage error, unreadable or invalid input, environment error. */
  USAGE: 2,
} as const;

/** An error the user can fix (bad flag, missing file): printed without a stack, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `pxecheck: MSG` with one prefix, whoever already wrote one. */
export function errorLine(msg: string): string {
  return `pxecheck: ${msg.replace(/^(pxecheck:\s*)+/, '')}`;
}
