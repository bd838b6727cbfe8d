// The main loop's sleep of a probe engine (traceroute, tcp-probe): it sends
// what it may, then sleeps until the next deadline unless an answer or an
// interrupt wakes it sooner. Answers recorded while the loop was busy sending
// are counted, so the loop looks again at once instead of sleeping past them.

export class WakeableSleep {
  private wakeSleeper: (() => void) | undefined;
  private answersSinceWake = 0;

  /** An answer was recorded: count it and end the sleep, if the loop is asleep. */
  answered(): void {
    this.answersSinceWake++;
    this.wake();
  }

  /** Ends the sleep now (e.g. the run was interrupted). */
  wake(): void {
    this.wakeSleeper?.();
  }

  /** True when answers came since the loop last woke (and starts counting again). */
  takeAnswers(): boolean {
    if (this.answersSinceWake === 0) return false;
    this.answersSinceWake = 0;
    return true;
  }

  /** Sleeps `delayMs` (none if negative), or until answered() or wake(). */
  async sleep(delayMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, delayMs));
      this.wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeSleeper = undefined;
    this.answersSinceWake = 0;
  }
}
