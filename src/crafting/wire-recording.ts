// What craft --send -w / --show-wire records: a live capture (cap, libpcap)
// on the interface the packet leaves by, open before the packet is sent, so
// the file holds the packet as the kernel actually sent it and its answer
// rather than a header the lab made up. Frames are copied as they arrive
// (cap reuses its buffer) and kept with their capture times.

import { LiveCapture } from '../net/capture.ts';

export interface RecordedFrame {
  readonly data: Uint8Array;
  readonly timestampNs: bigint;
}

export class WireRecording {
  readonly frames: RecordedFrame[] = [];
  private waiter: (() => void) | undefined;

  private constructor(
    private readonly capture: LiveCapture,
    readonly device: string,
  ) {
    capture.onPacket((frame, timestampNs) => {
      this.frames.push({ data: Uint8Array.from(frame), timestampNs });
      this.waiter?.();
    });
  }

  /** Opens the capture (needs root or CAP_NET_RAW); throws PrivilegeError or a one-line Error. */
  static open(device: string, filter: string): WireRecording {
    return new WireRecording(LiveCapture.open({ device, filter }), device);
  }

  get linkType(): number {
    return this.capture.linkType;
  }

  /**
   * Resolves once `done(frames)` holds, or after `limitMs` (libpcap hands
   * frames over a little after the kernel has sent them).
   */
  async waitUntil(done: (frames: readonly RecordedFrame[]) => boolean, limitMs: number): Promise<boolean> {
    if (done(this.frames)) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), limitMs);
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(result);
      };
      this.waiter = () => {
        if (done(this.frames)) finish(true);
      };
    });
  }

  close(): void {
    this.capture.close();
  }
}
