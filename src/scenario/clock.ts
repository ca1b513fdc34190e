/** Time for the scenario runner, in seconds (a double, like capture timestamps). Injected. */
export interface Clock {
  now(): number;
}

/** The real clock (monotonic, seconds since an arbitrary origin). */
export class SystemClock implements Clock {
  now(): number {
    return performance.now() / 1000;
  }
}

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  advance(seconds: number): number {
    this.t += seconds;
    return this.t;
  }
  /** Move to `t` (never backwards). */
  set(t: number): void {
    if (t > this.t) this.t = t;
  }
}
