// --pcap FILE: records what crosses the egress interface, through libpcap
// (cap), into a classic pcap file. Every frame is written to the OS as it
// arrives, so the file is complete whenever the tool stops, Ctrl-C included.
import { chownSync } from 'node:fs';
import { PcapWriter } from '../io/pcap-file.ts';
import { LiveCapture } from './capture.ts';
import { sudoInvokingUser } from './privileges.ts';

export interface PcapRecorderOptions {
  readonly path: string;
  /** Interface to capture on, e.g. 'lo'. */
  readonly device: string;
  /** BPF filter in tcpdump syntax. */
  readonly filter: string;
  /**
   * Kernel capture buffer in bytes (default: LiveCapture's 16 MiB). cap
   * captures 65535-byte snapshots in immediate mode, so each frame takes a
   * ~64 KiB slot: 16 MiB holds ~250 frames. Raise it for bulk transfers.
   */
  readonly bufferSize?: number;
  /** Where SUDO_UID/SUDO_GID are read (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export class PcapRecorder {
  private constructor(
    private readonly capture: LiveCapture,
    private readonly writer: PcapWriter,
  ) {
    capture.onPacket((frame, timestampNs) => {
      if (!writer.isClosed) writer.write(frame, timestampNs);
    });
  }

  /** Opens the capture (needs privileges) and the file; the file goes to the user who ran sudo. */
  static open(options: PcapRecorderOptions): PcapRecorder {
    const capture = LiveCapture.open({ device: options.device, filter: options.filter, bufferSize: options.bufferSize });
    let writer: PcapWriter;
    try {
      writer = PcapWriter.openSync(options.path, { linkType: capture.linkType });
    } catch (error) {
      capture.close();
      throw new Error(`cannot write ${options.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const owner = sudoInvokingUser(options.env);
    if (owner) chownSync(options.path, owner.uid, owner.gid);
    return new PcapRecorder(capture, writer);
  }

  get recordsWritten(): number {
    return this.writer.recordsWritten;
  }

  /** Lets frames still in libpcap's buffer arrive, then closes capture and file. */
  async stop(graceMs = 100): Promise<void> {
    if (this.writer.isClosed) return;
    await new Promise((resolve) => setTimeout(resolve, graceMs));
    this.closeNow();
  }

  /** Synchronous close, for signal handlers and exit paths. */
  closeNow(): void {
    this.capture.close();
    this.writer.closeSync();
  }
}
