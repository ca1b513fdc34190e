/**
 * The lean engine's deadlines: a binary min-heap of (time, row, generation) in typed arrays, so
 * thousands of clients waiting cost no timer, promise or object each. A row's entry is stale once
 * its generation moved on (rescheduled or finished): stale entries are dropped as they surface.
 */
export class DeadlineHeap {
  private t: Float64Array;
  private row: Int32Array;
  private gen: Uint32Array;
  private n = 0;

  constructor(capacity = 1024) {
    this.t = new Float64Array(capacity);
    this.row = new Int32Array(capacity);
    this.gen = new Uint32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  push(t: number, row: number, gen: number): void {
    if (this.n === this.t.length) this.grow();
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.t[p]! <= t) break;
      this.move(p, i);
      i = p;
    }
    this.t[i] = t;
    this.row[i] = row;
    this.gen[i] = gen;
  }

  /** Earliest time (Infinity when empty). */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.t[0]!;
  }

  peekRow(): number {
    return this.row[0]!;
  }

  peekGen(): number {
    return this.gen[0]!;
  }

  pop(): void {
    const last = --this.n;
    if (last === 0) return;
    const t = this.t[last]!;
    const row = this.row[last]!;
    const gen = this.gen[last]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.t[r]! < this.t[l]! ? r : l;
      if (this.t[c]! >= t) break;
      this.move(c, i);
      i = c;
    }
    this.t[i] = t;
    this.row[i] = row;
    this.gen[i] = gen;
  }

  clear(): void {
    this.n = 0;
  }

  private move(from: number, to: number): void {
    this.t[to] = this.t[from]!;
    this.row[to] = this.row[from]!;
    this.gen[to] = this.gen[from]!;
  }

  private grow(): void {
    const t = new Float64Array(this.t.length * 2);
    const row = new Int32Array(this.t.length * 2);
    const gen = new Uint32Array(this.t.length * 2);
    t.set(this.t);
    row.set(this.row);
    gen.set(this.gen);
    this.t = t;
    this.row = row;
    this.gen = gen;
  }
}
