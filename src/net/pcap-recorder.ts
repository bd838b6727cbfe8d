// --pcap FILE: records what crosses the egress interface, through libpcap
// (cap), into a classic pcap file. Every frame is written to the OS as it
// arrives, so the file is complete whenever the tool stops, Ctrl-C included.
import { closeSync } from 'node:fs';
import { PcapWriter } from '../io/pcap-file.ts';
import { LiveCapture } from './capture.ts';
import { openOutputFile } from './output-file.ts';

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

  /**
   * Opens the file (under sudo as the user who ran it: see output-file.ts),
   * then the capture (needs privileges). Throws OutputFileError, one line,
   * when the file cannot be written.
   */
  static open(options: PcapRecorderOptions): PcapRecorder {
    const fd = openOutputFile(options.path, options.env);
    let capture: LiveCapture;
    try {
      capture = LiveCapture.open({ device: options.device, filter: options.filter, bufferSize: options.bufferSize });
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return new PcapRecorder(capture, PcapWriter.onDescriptorSync(fd, options.path, { linkType: capture.linkType }));
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
