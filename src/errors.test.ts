import { describe, expect, it } from 'vitest';
import {
  CaptureFormatError, DurationError, EnvironmentError, ERROR_CODES, ExitCode, exitCodeFor, isPxecheckError,
  LabExistsError, LiveCaptureError, MergeError, MetricsServerError, MissingBinaryError, ScenarioError,
  UnknownVariableError, UsageError,
} from './errors.js';
import { UsageError as CliUsageError } from './cli/exit-codes.js';
import { ScenarioError as LoadScenarioError } from './scenario/load.js';

const samples = [
  new UsageError('bad flag'),
  new CaptureFormatError('not a capture'),
  new EnvironmentError('no raw socket'),
  new ScenarioError([{ file: 'a.yaml', line: 3, col: 5, path: 'clients[0]', message: 'unknown persona' }]),
  new UnknownVariableError('lease', 'step 2', ['mac', 'server']),
  new DurationError('not a duration'),
  new MergeError('slices differ'),
  new MissingBinaryError('kea-dhcp4 is not installed'),
  new LabExistsError('lab g1 is up'),
  new MetricsServerError('port in use'),
  new LiveCaptureError('ENODEV', 'no such interface'),
];

describe('errors: one place, stable codes, exit status from the code', () => {
  it('every error class has its own code, known to the exit table, and its own name', () => {
    const codes = samples.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of samples) {
      expect(e.code in ERROR_CODES, e.code).toBe(true);
      expect(e.name).toBe(e.constructor.name);
      expect(isPxecheckError(e)).toBe(true);
      expect(e).toBeInstanceOf(Error);
    }
  });

  it('usage, input and environment errors end the command with exit 2', () => {
    for (const e of samples) expect(exitCodeFor(e)).toBe(ExitCode.USAGE);
  });

  it('a plain Error or a thrown string is not ours (the CLI reports it as an internal error)', () => {
    expect(isPxecheckError(new Error('x'))).toBe(false);
    expect(isPxecheckError('x')).toBe(false);
  });

  it('messages are as before, and the old import paths give the same classes', () => {
    expect(samples[3]!.message).toBe('a.yaml:3:5: clients[0]: unknown persona');
    expect(samples[4]!.message).toBe('step 2: variable ${lease} is not set (set now: mac, server)');
    expect(CliUsageError).toBe(UsageError);
    expect(LoadScenarioError).toBe(ScenarioError);
  });
});
