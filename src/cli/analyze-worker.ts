/**
 * A worker thread of `analyze` over many captures (analyze-pool.ts): analyses the files it is
 * sent, one at a time, and posts back the reply (the Analysis, or why the input could not be read).
 */
import { parentPort } from 'node:worker_threads';
import { analyzeCapture } from '../analysis/capture.js';
import { analyzeToReply, type WorkerRequest } from './analyze-pool.js';

const port = parentPort;
if (port === null) throw new Error('analyze-worker runs as a worker thread');

port.on('message', (req: WorkerRequest) => {
  void analyzeToReply(analyzeCapture, req).then((reply) => port.postMessage(reply));
});
