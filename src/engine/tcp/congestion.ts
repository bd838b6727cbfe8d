// Reno congestion control (RFC 5681), counting bytes: slow start below
// ssthresh, congestion avoidance above it, and the window cuts for fast
// recovery and for a retransmission timeout. Which segments go out during
// recovery is the connection's business (SACK scoreboard, RFC 6675); this
// module only says how much may be in flight.

export class RenoCongestion {
  private window: number;
  private threshold = Number.POSITIVE_INFINITY;

  constructor(
    private readonly mss: number,
    /** RFC 6928's initial window of 10 segments. */
    initialSegments = 10,
  ) {
    this.window = initialSegments * mss;
  }

  get cwnd(): number {
    return this.window;
  }

  get ssthresh(): number {
    return this.threshold;
  }

  get inSlowStart(): boolean {
    return this.window < this.threshold;
  }

  /** New data acknowledged outside recovery (RFC 5681 3.1, eq. 2 and 3). */
  onAck(ackedBytes: number): void {
    if (ackedBytes <= 0) return;
    if (this.window < this.threshold) this.window += Math.min(ackedBytes, this.mss);
    else this.window += Math.max(1, Math.floor((this.mss * this.mss) / this.window));
  }

  /** Fast retransmit (RFC 5681 3.2 step 2; RFC 6675 5 step 4): halve, and recover at the new rate. */
  onEnterRecovery(flightSize: number): void {
    this.threshold = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.window = this.threshold;
  }

  /** A full ACK ends recovery (RFC 6582 3.2 step 3): deflate to ssthresh. */
  onExitRecovery(): void {
    this.window = this.threshold;
  }

  /** RFC 5681 3.1 eq. 4, then a loss window of one segment. */
  onRetransmitTimeout(flightSize: number): void {
    this.threshold = Math.max(Math.floor(flightSize / 2), 2 * this.mss);
    this.window = this.mss;
  }
}
