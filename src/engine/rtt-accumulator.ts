// The running RTT figures ping prints: min/avg/max/mdev (iputils' mdev is
// the standard deviation, from the sum of squares), and iputils' EWMA for a
// flood's summary line.

export interface RttStatistics {
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly mdevMs: number;
}

export class RttAccumulator {
  count = 0;
  private sum = 0;
  private sumSquares = 0;
  private min = Number.POSITIVE_INFINITY;
  /** The largest RTT so far; 0 before the first. */
  max = 0;
  /** iputils' smoothed RTT: weight 1/8, starting from the first RTT. */
  ewma = 0;

  add(ms: number): void {
    this.count++;
    this.sum += ms;
    this.sumSquares += ms * ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    this.ewma = this.ewma === 0 ? ms : this.ewma + (ms - this.ewma) / 8;
  }

  /** min/avg/max and iputils' mdev (the standard deviation), or undefined before the first RTT. */
  statistics(): RttStatistics | undefined {
    if (this.count === 0) return undefined;
    const avg = this.sum / this.count;
    return { minMs: this.min, avgMs: avg, maxMs: this.max, mdevMs: Math.sqrt(Math.max(0, this.sumSquares / this.count - avg * avg)) };
  }
}
