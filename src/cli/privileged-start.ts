// The start every raw-socket tool shares, in the one safe order: the engine
// opens its sockets (as root) and calls back; then the capture opens (also
// privileged), then root is given up for the user who ran sudo, and only then
// is the header printed, so no reply from the network is parsed as root.
import { loadCapModule } from '../net/capture.ts';
import { PcapRecorder } from '../net/pcap-recorder.ts';
import { dropPrivilegesToInvokingUser } from '../net/privileges.ts';
import type { CommandEnv } from './command-io.ts';

/** What --pcap records: on which interface, through which BPF filter. */
export interface CaptureSpec {
  readonly device: string;
  readonly filter: string;
  /** Kernel capture buffer in bytes (default: LiveCapture's). */
  readonly bufferSize?: number;
}

export interface StartSteps {
  /** Other privileged set-up, before the capture opens (tcp-get's firewall rule). */
  readonly privileged?: () => void;
  /** The capture to record into the --pcap file, when one was asked for. */
  readonly capture: CaptureSpec;
  /** Stay root (a firewall rule must still be removed at the end). */
  readonly keepPrivileges?: boolean;
  /** Prints the tool's first line(s). */
  readonly header: () => void;
}

export class PrivilegedStart {
  private recorder: PcapRecorder | undefined;

  /** Checks up front, before any packet, that capture can work when --pcap was given. */
  constructor(
    private readonly pcapPath: string | undefined,
    private readonly env: CommandEnv,
  ) {
    if (pcapPath !== undefined) loadCapModule();
  }

  /** Call from the engine's onSocketOpen: the sockets are open. */
  begin(steps: StartSteps): void {
    steps.privileged?.();
    if (this.pcapPath !== undefined) {
      this.recorder = PcapRecorder.open({ path: this.pcapPath, ...steps.capture, env: this.env.vars });
    }
    if (!steps.keepPrivileges) dropPrivilegesToInvokingUser(this.env.vars);
    steps.header();
  }

  /** Lets the last frames reach the file and closes it. */
  async finish(): Promise<void> {
    await this.recorder?.stop();
  }
}
