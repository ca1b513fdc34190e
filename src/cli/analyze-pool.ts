/**
 * Many captures on every core: a pool of worker threads (analyze-worker.ts), each analysing one
 * capture at a time. The main thread only hands out file names and prints; what comes back is
 * plain data (the Analysis, or the one-line reason an input could not be read, and the first
 * reader warnings), so that it prints exactly as the same analysis done in-thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Analysis } from '../analysis/types.js';
import type { AnalysisThresholds } from '../findings/types.js';
import type { WireIssue } from '../wire/issues.js';
import { inputErrorMessage, MAX_WARNING_LINES } from './inputs.js';

/** How each capture is analyzed (plain data: it crosses to the workers). */
export interface AnalyzeSettings {
  thresholds: Partial<AnalysisThresholds>;
  /** `--keep-duplicates`: mirror-port copies analyzed too. */
  keepDuplicates: boolean;
}

export interface WorkerRequest extends AnalyzeSettings {
  id: number;
  file: string;
}

interface ReplyBase {
  id: number;
  /** The first MAX_WARNING_LINES reader warnings, and how many more there were. */
  warnings: { issue: WireIssue; name: string }[];
  more: number;
}

export type WorkerReply =
  | (ReplyBase & { kind: 'analysis'; analysis: Analysis })
  | (ReplyBase & { kind: 'input-error'; message: string })
  | (ReplyBase & { kind: 'internal-error'; message: string; stack: string });

export type AnalyzeFile = (file: string, opts: Partial<AnalyzeSettings> & { onWarning?: (w: WireIssue, name: string) => void }) => Promise<Analysis>;

/** One capture → its reply; never throws. The worker runs it, and so does the main thread for
 *  standard input (a worker cannot read the process' stdin). */
export async function analyzeToReply(analyze: AnalyzeFile, req: WorkerRequest): Promise<WorkerReply> {
  const warnings: { issue: WireIssue; name: string }[] = [];
  let more = 0;
  const onWarning = (issue: WireIssue, name: string): void => {
    if (warnings.length < MAX_WARNING_LINES) warnings.push({ issue: { ...issue }, name });
    else more++;
  };
  try {
    const analysis = await analyze(req.file, { thresholds: req.thresholds, keepDuplicates: req.keepDuplicates, onWarning });
    return { id: req.id, kind: 'analysis', analysis, warnings, more };
  } catch (err) {
    const message = inputErrorMessage(err);
    if (message !== null) return { id: req.id, kind: 'input-error', message, warnings, more };
    const e = err instanceof Error ? err : new Error(String(err));
    return { id: req.id, kind: 'internal-error', message: e.message, stack: e.stack ?? e.message, warnings, more };
  }
}

/** What `runAnalyze` needs to run captures elsewhere than in its own thread. */
export interface AnalyzePool {
  run(file: string, settings: AnalyzeSettings): Promise<WorkerReply>;
  close(): Promise<void>;
}

export interface ParallelAnalyze {
  /** Cores to use when --jobs is not given. */
  readonly cores: number;
  open(size: number): AnalyzePool;
}

/** Worker threads running dist/cli/analyze-worker.js next to this module. */
export const workerThreads: ParallelAnalyze = {
  cores: availableParallelism(),
  open: (size) => new WorkerPool(size, new URL('./analyze-worker.js', import.meta.url)),
};

interface Slot {
  worker: Worker;
  job: { id: number; resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null;
}

class WorkerPool implements AnalyzePool {
  private readonly idle: Slot[] = [];
  private readonly waiting: ((s: Slot) => void)[] = [];
  private readonly slots = new Set<Slot>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly size: number, private readonly script: URL) {}

  async run(file: string, settings: AnalyzeSettings): Promise<WorkerReply> {
    const slot = await this.acquire();
    try {
      return await new Promise<WorkerReply>((resolve, reject) => {
        const id = this.nextId++;
        slot.job = { id, resolve, reject };
        slot.worker.postMessage({ id, file, ...settings } satisfies WorkerRequest);
      });
    } finally {
      slot.job = null;
      this.release(slot);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.slots].map((s) => s.worker.terminate()));
    this.slots.clear();
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(new Error('analyze worker pool closed'));
    const free = this.idle.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.slots.size < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    if (!this.slots.has(slot)) return; // it died: a new one is spawned on demand
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.script), job: null };
    this.slots.add(slot);
    slot.worker.on('message', (reply: WorkerReply) => {
      if (slot.job?.id === reply.id) slot.job.resolve(reply);
    });
    // A worker that dies (out of memory, a crash) fails the capture it held, not the run's order.
    const died = (err: Error): void => {
      if (!this.slots.delete(slot)) return;
      slot.job?.reject(err);
      const next = this.waiting.shift();
      if (next && !this.closed) next(this.spawn());
    };
    slot.worker.on('error', died);
    slot.worker.on('exit', (code) => { if (!this.closed) died(new Error(`analyze worker exited with code ${code}`)); });
    return slot;
  }
}
