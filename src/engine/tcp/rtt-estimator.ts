// Retransmission timeout from round-trip samples (RFC 6298), with Karn's
// rule: one segment is timed at a time, and a retransmission cancels the
// measurement, because its ACK cannot tell which transmission it answers.
import { seqGe, type SeqNumber } from '../../wire/tcp-sequence.ts';

export interface RttEstimatorConfig {
  /** RTO before the first sample (RFC 6298 2.1: 1 s). */
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
}

export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;
  private rto: number;
  /** The segment being timed: acknowledged once the ACK reaches `end`. */
  private timed: { end: SeqNumber; sentAt: number } | undefined;

  constructor(private readonly config: RttEstimatorConfig) {
    this.rto = config.initialRtoMs;
  }

  get rtoMs(): number {
    return this.rto;
  }

  get srttMs(): number | undefined {
    return this.srtt;
  }

  get rttvarMs(): number {
    return this.rttvar;
  }

  get timing(): boolean {
    return this.timed !== undefined;
  }

  /** A new (never retransmitted) segment ending at `end` left at `now`; timed unless one already is. */
  onSend(end: SeqNumber, now: number): void {
    if (this.timed === undefined) this.timed = { end, sentAt: now };
  }

  /** Karn: something was retransmitted, so the pending measurement is ambiguous. */
  onRetransmit(): void {
    this.timed = undefined;
  }

  /** An ACK up to `ack` arrived at `now`: a sample when it covers the timed segment. */
  onAck(ack: SeqNumber, now: number): void {
    if (this.timed === undefined || !seqGe(ack, this.timed.end)) return;
    this.sample(now - this.timed.sentAt);
    this.timed = undefined;
  }

  /** RFC 6298 5.5: the timer expired; double the RTO (up to the bound). */
  backoff(): void {
    this.rto = Math.min(this.config.maxRtoMs, this.rto * 2);
  }

  /** RFC 6298 2.2-2.4 (G = 1 ms). */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = Math.min(this.config.maxRtoMs, Math.max(this.config.minRtoMs, this.srtt + Math.max(1, 4 * this.rttvar)));
  }
}
