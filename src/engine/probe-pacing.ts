// How fast tcp-probe sends and how long it waits, after nmap's timing
// (timing.cc): a congestion window of probes in flight, opened by one for
// each answer (slow start up to a threshold, then by 1/window) and halved
// when a drop shows (a port answers only to a retransmission; a port silent
// to every probe is its own answer on a filtering host, not congestion); and
// a timeout from the RTTs as TCP's retransmission timer computes it (RFC 6298): SRTT + 4 RTTVAR, the first
// sample setting SRTT = RTT and RTTVAR = max(RTT, 5 ms), clamped to
// [min, max].

export interface ProbePacingOptions {
  /** A fixed timeout instead of the adaptive one, ms. */
  readonly fixedTimeoutMs?: number;
  /** Before any RTT is measured, ms (nmap's --initial-rtt-timeout: 1000). */
  readonly initialTimeoutMs?: number;
  readonly minTimeoutMs?: number;
  readonly maxTimeoutMs?: number;
  readonly initialWindow?: number;
  readonly maxWindow?: number;
}

/** nmap's defaults (-T3): initial 1 s, min 100 ms, max 10 s; a window from 10 up to 300 probes. */
const DEFAULTS = { initialTimeoutMs: 1000, minTimeoutMs: 100, maxTimeoutMs: 10_000, initialWindow: 10, maxWindow: 300 };
/** nmap's floor for RTTVAR's first value (5,000 µs), so one fast answer does not make the timeout its own RTT. */
const MIN_FIRST_RTTVAR_MS = 5;

export class ProbePacing {
  private srtt: number | undefined;
  private rttvar = 0;
  private congestionWindow: number;
  private slowStartThreshold: number;
  private readonly settings: typeof DEFAULTS & { fixedTimeoutMs?: number };

  constructor(options: ProbePacingOptions = {}) {
    this.settings = {
      initialTimeoutMs: options.initialTimeoutMs ?? DEFAULTS.initialTimeoutMs,
      minTimeoutMs: options.minTimeoutMs ?? DEFAULTS.minTimeoutMs,
      maxTimeoutMs: options.maxTimeoutMs ?? DEFAULTS.maxTimeoutMs,
      initialWindow: options.initialWindow ?? DEFAULTS.initialWindow,
      maxWindow: options.maxWindow ?? DEFAULTS.maxWindow,
      fixedTimeoutMs: options.fixedTimeoutMs,
    };
    this.congestionWindow = this.settings.initialWindow;
    this.slowStartThreshold = this.settings.maxWindow;
  }

  /** How many probes may be in flight now. */
  get window(): number {
    return Math.max(1, Math.floor(this.congestionWindow));
  }

  /** How long a probe is waited for before it counts as unanswered, ms. */
  get timeoutMs(): number {
    if (this.settings.fixedTimeoutMs !== undefined) return this.settings.fixedTimeoutMs;
    if (this.srtt === undefined) return this.settings.initialTimeoutMs;
    return Math.min(this.settings.maxTimeoutMs, Math.max(this.settings.minTimeoutMs, this.srtt + 4 * this.rttvar));
  }

  /** An answer came: `rttMs` when it belongs to one probe (Karn), `afterRetransmission` when an earlier probe was lost. */
  answered(rttMs: number | undefined, afterRetransmission: boolean): void {
    if (rttMs !== undefined) this.sample(rttMs);
    if (afterRetransmission) {
      this.drop();
      return;
    }
    if (this.congestionWindow < this.slowStartThreshold) this.congestionWindow += 1;
    else this.congestionWindow += 1 / this.congestionWindow;
    this.congestionWindow = Math.min(this.congestionWindow, this.settings.maxWindow);
  }

  private drop(): void {
    this.slowStartThreshold = Math.max(2, this.congestionWindow / 2);
    this.congestionWindow = this.slowStartThreshold;
  }

  private sample(rttMs: number): void {
    if (this.srtt === undefined) {
      this.srtt = rttMs;
      this.rttvar = Math.max(MIN_FIRST_RTTVAR_MS, rttMs);
      return;
    }
    const delta = rttMs - this.srtt;
    this.srtt += delta / 8;
    this.rttvar += (Math.abs(delta) - this.rttvar) / 4;
  }
}
