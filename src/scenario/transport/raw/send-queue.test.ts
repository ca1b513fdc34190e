// The raw transport's send queue: with a batch sender, what one turn produces (the capture
// callback, then the clients' microtasks) leaves in one batch, in order, within the rate limit.
import { describe, expect, it } from 'vitest';
import { SendQueue } from './send-queue.js';

const frame = (n: number): Uint8Array => Uint8Array.of(n);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function batching(pps = 1e6): { q: SendQueue; batches: number[][]; singles: number[] } {
  const batches: number[][] = [];
  const singles: number[] = [];
  const q = new SendQueue({ pps, limit: 100, send: (f) => singles.push(f[0]!), sendBatch: (fs) => batches.push(fs.map((f) => f[0]!)) });
  return { q, batches, singles };
}

describe('SendQueue', () => {
  it('sends at once, frame by frame, without a batch sender', () => {
    const sent: number[] = [];
    const q = new SendQueue({ pps: 1e6, limit: 100, send: (f) => sent.push(f[0]!) });
    q.push(frame(1));
    q.push(frame(2));
    expect(sent).toEqual([1, 2]);
    q.close();
  });

  it('sends the frames of one turn, pushed from the callback and from microtasks, as one batch in order', async () => {
    const { q, batches, singles } = batching();
    q.push(frame(1));
    void Promise.resolve().then(() => q.push(frame(2))).then(() => q.push(frame(3)));
    q.push(frame(4));
    expect(batches).toEqual([]);
    await turn();
    expect(batches).toEqual([[1, 4, 2, 3]]);
    expect(singles).toEqual([]);
    expect(q.sent).toBe(4);
    q.push(frame(5));
    await turn();
    expect(batches).toEqual([[1, 4, 2, 3], [5]]);
    q.close();
  });

  it('keeps to the rate limit: a batch takes only the tokens there are, the rest waits queued', async () => {
    const { q, batches } = batching(10); // a burst of 1
    for (let i = 1; i <= 3; i++) q.push(frame(i));
    await turn();
    expect(batches).toEqual([[1]]);
    expect(q.length).toBe(2);
    q.close();
  });

  it('counts a refused batch as an error and goes on', async () => {
    const q = new SendQueue({ pps: 1e6, limit: 100, send: () => {}, sendBatch: () => { throw new Error('link down'); } });
    q.push(frame(1));
    await turn();
    expect(q.errors).toBe(1);
    expect(q.lastError).toBe('link down');
    expect(q.length).toBe(0);
    q.close();
  });

  it('runs a barrier once the frames before it are sent, without a token, a queue slot, a count or a drop', async () => {
    const sent: number[] = [];
    const q = new SendQueue({ pps: 10, limit: 1, send: (f) => sent.push(f[0]!) }); // a burst of 1
    const ran: number[][] = [];
    q.after(() => ran.push([...sent])); // nothing queued: at once
    q.push(frame(1));
    q.push(frame(2)); // waits for a token, filling the queue
    q.after(() => ran.push([...sent]));
    q.push(frame(3)); // the queue is full: dropped, the barrier was not
    expect(ran).toEqual([[]]);
    expect(q.dropped).toBe(1);
    for (let i = 0; i < 200 && ran.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ran).toEqual([[], [1, 2]]);
    expect(q.sent).toBe(2);
    expect(q.dropped).toBe(1);
    q.close();
  });

  it('runs a barrier after the batch that sends the frames before it, and never once closed', async () => {
    const { q, batches } = batching();
    const ran: number[] = [];
    q.push(frame(1));
    q.after(() => ran.push(batches.length));
    expect(ran).toEqual([]);
    await turn();
    expect(ran).toEqual([1]);
    q.push(frame(2));
    q.after(() => ran.push(-1));
    q.close();
    await turn();
    expect(ran).toEqual([1]);
  });
});
