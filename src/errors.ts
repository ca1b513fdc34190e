/**
 * Every error pxecheck raises on purpose, in one place (undici's errors.js is the model): each class
 * has a stable `code` that scripts and tests may match on, and the CLI derives its exit status from
 * that code (`exitCodeFor`), not from `instanceof` chains. Messages are what the user reads: one line
 * (a scenario error: one line per problem), no stack. Modules that raised these before re-export
 * them, so `import { UsageError } from './exit-codes.js'` and the like keep working.
 */

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  /** Everything passed / no error finding. */
  OK: 0,
  /** An assertion failed or an error finding was reported. */
  FINDINGS: 1,
  /** Usage error, unreadable or invalid input, environment error. */
  USAGE: 2,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The stable codes, each with the exit status a command ends with when it is not handled. */
export const ERROR_CODES = {
  PXE_ERR_USAGE: ExitCode.USAGE,
  PXE_ERR_CAPTURE_FORMAT: ExitCode.USAGE,
  PXE_ERR_ENVIRONMENT: ExitCode.USAGE,
  PXE_ERR_SCENARIO: ExitCode.USAGE,
  PXE_ERR_UNKNOWN_VARIABLE: ExitCode.USAGE,
  PXE_ERR_DURATION: ExitCode.USAGE,
  PXE_ERR_MERGE: ExitCode.USAGE,
  PXE_ERR_MISSING_BINARY: ExitCode.USAGE,
  PXE_ERR_LAB_EXISTS: ExitCode.USAGE,
  PXE_ERR_METRICS_SERVER: ExitCode.USAGE,
  // LiveCaptureError: errno-like codes its callers (and `pxecheck capture`) already match on.
  ENODEV: ExitCode.USAGE,
  EPERM: ExitCode.USAGE,
  EPCAP: ExitCode.USAGE,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** The base of every error with a code. */
export abstract class PxecheckError extends Error {
  abstract readonly code: ErrorCode;
}

/** Is this one of ours (so its message is for the user, not a bug report)? */
export function isPxecheckError(e: unknown): e is PxecheckError {
  return e instanceof PxecheckError && e.code in ERROR_CODES;
}

/** The exit status for an error of ours. */
export function exitCodeFor(e: PxecheckError): ExitCodeValue {
  return ERROR_CODES[e.code];
}

/** An error the user can fix (bad flag, missing file): printed without a stack, exit 2. */
export class UsageError extends PxecheckError {
  override name = 'UsageError';
  readonly code = 'PXE_ERR_USAGE';
}

/** The input is not a capture at all (unknown magic, empty file): a usage/input error (exit 2). */
export class CaptureFormatError extends PxecheckError {
  override name = 'CaptureFormatError';
  readonly code = 'PXE_ERR_CAPTURE_FORMAT';
}

/** A problem with the machine, not the scenario or the server: exit 2 with a how-to. */
export class EnvironmentError extends PxecheckError {
  override name = 'EnvironmentError';
  readonly code = 'PXE_ERR_ENVIRONMENT';
}

export interface ScenarioProblem {
  file: string;
  line: number;
  col: number;
  /** e.g. `clients[0].steps[2].tftp.within`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatProblem(p: ScenarioProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

/** A scenario file that cannot run: every problem found, one line each. */
export class ScenarioError extends PxecheckError {
  override name = 'ScenarioError';
  readonly code = 'PXE_ERR_SCENARIO';
  constructor(readonly problems: ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** A `${name}` in a scenario string that the runner has no value for. */
export class UnknownVariableError extends PxecheckError {
  override name = 'UnknownVariableError';
  readonly code = 'PXE_ERR_UNKNOWN_VARIABLE';
  constructor(
    readonly variable: string,
    readonly where: string | undefined,
    available: Iterable<string>,
  ) {
    const known = [...available].sort().join(', ');
    super(
      `${where === undefined ? '' : `${where}: `}variable \${${variable}} is not set` +
        ` (set now: ${known === '' ? 'none' : known})`,
    );
  }
}

/** Text that is not a duration ("500ms", "2s"). */
export class DurationError extends PxecheckError {
  override name = 'DurationError';
  readonly code = 'PXE_ERR_DURATION';
}

/** Load-run slices that cannot be merged into one report. */
export class MergeError extends PxecheckError {
  override name = 'MergeError';
  readonly code = 'PXE_ERR_MERGE';
}

/** A server program the lab needs is not installed. */
export class MissingBinaryError extends PxecheckError {
  override name = 'MissingBinaryError';
  readonly code = 'PXE_ERR_MISSING_BINARY';
}

/** A lab of that name is already up. */
export class LabExistsError extends PxecheckError {
  override name = 'LabExistsError';
  readonly code = 'PXE_ERR_LAB_EXISTS';
}

/** The metrics endpoint cannot listen where it was asked to. */
export class MetricsServerError extends PxecheckError {
  override name = 'MetricsServerError';
  readonly code = 'PXE_ERR_METRICS_SERVER';
}

/** An error with a stable `code`: ENODEV (no such interface), EPERM (no capture rights), EPCAP. */
export class LiveCaptureError extends PxecheckError {
  override name = 'LiveCaptureError';
  constructor(readonly code: 'ENODEV' | 'EPERM' | 'EPCAP', message: string) {
    super(message);
  }
}
