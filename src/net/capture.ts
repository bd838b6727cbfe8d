// Live capture through the optional `cap` binding (libpcap). Tools that
// record what crossed the wire (--pcap) use it; when it was not built they
// must fail up front with one line saying how to build it.
import { createRequire } from 'node:module';
import { isPermissionError, PrivilegeError } from './privileges.ts';

interface CapInstance {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  on(event: 'packet', listener: (bytes: number, truncated: boolean) => void): void;
  setMinBytes?(bytes: number): void;
  close(): void;
}

interface CapModule {
  Cap: new () => CapInstance;
}

export class CaptureUnavailableError extends Error {
  constructor(reason: string, fix = 'npm rebuild cap') {
    super(
      `packet capture is unavailable: the optional 'cap' binding is not built (${reason}); ` +
        `install libpcap-dev (Debian/Ubuntu: apt-get install libpcap-dev), then run: ${fix} (see native-notes/cap.md)`,
    );
    this.name = 'CaptureUnavailableError';
  }
}

let capModule: CapModule | undefined;

/** Loads `cap`, or throws CaptureUnavailableError naming the fix. */
export function loadCapModule(): CapModule {
  if (!capModule) {
    const require = createRequire(import.meta.url);
    try {
      capModule = require('cap') as CapModule;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      // npm removes an optional dependency whose build failed; an unbuilt one
      // is still there but lacks its .node file. Each has its own fix.
      const removed = /Cannot find module 'cap'/.test(message);
      throw new CaptureUnavailableError(message, removed ? 'npm install' : 'npm rebuild cap');
    }
  }
  return capModule;
}

// cap's native handle aborts the process when a handle whose open() failed is
// closed or garbage-collected (native-notes/cap.md), so such handles are kept.
const failedHandles: CapInstance[] = [];

let captureOpened = false;

/**
 * Whether this process has created a cap handle. A closed cap handle that is
 * still uncollected when Node tears the isolate down crashes the process
 * (SIGSEGV): if an incremental GC is under way at exit, V8 finishes it while
 * disposing the isolate, the handle's weak callback deletes it, and nan's
 * ~AsyncResource calls node::EmitAsyncDestroy(v8::Isolate::GetCurrent(), ...)
 * with no current isolate (native-notes/cap.md §7). process.exit() skips that
 * teardown, so runCli() ends such processes with it.
 */
export function captureWasOpened(): boolean {
  return captureOpened;
}

/** cap reports the link type by name; pcap files want the LINKTYPE number. */
const CAP_LINK_TYPES: Record<string, number> = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
  IEEE802_11_RADIO: 127,
};

export interface LiveCaptureOptions {
  /** Interface name, e.g. 'lo' or 'veth0'. */
  readonly device: string;
  /** A BPF filter in tcpdump syntax. */
  readonly filter: string;
  /** Kernel capture buffer in bytes. */
  readonly bufferSize?: number;
}

/** Called with the frame (a reused buffer: copy what you keep) and its capture time in ns since the epoch. */
export type CaptureHandler = (frame: Buffer, timestampNs: bigint, truncated: boolean) => void;

export class LiveCapture {
  readonly linkType: number;
  private readonly cap: CapInstance;
  private readonly frame: Buffer;
  private handler: CaptureHandler | undefined;
  private closed = false;

  private constructor(cap: CapInstance, frame: Buffer, linkType: number) {
    this.cap = cap;
    this.frame = frame;
    this.linkType = linkType;
    cap.on('packet', (bytes, truncated) => {
      this.handler?.(this.frame.subarray(0, bytes), wallClockNs(), truncated);
    });
  }

  static open(options: LiveCaptureOptions): LiveCapture {
    const { Cap } = loadCapModule();
    const cap = new Cap();
    captureOpened = true;
    const frame = Buffer.alloc(262144);
    let linkName: string;
    try {
      linkName = cap.open(options.device, options.filter, options.bufferSize ?? 16 * 1024 * 1024, frame);
    } catch (error) {
      failedHandles.push(cap);
      if (isPermissionError(error)) throw new PrivilegeError(`cannot capture on ${options.device}`);
      throw new Error(`cannot capture on ${options.device}: ${(error as Error).message}`);
    }
    const linkType = CAP_LINK_TYPES[linkName];
    if (linkType === undefined) {
      cap.close(); // opened fine, so closing is safe
      throw new Error(`cannot capture on ${options.device}: unsupported link type ${linkName}`);
    }
    cap.setMinBytes?.(0);
    return new LiveCapture(cap, frame, linkType);
  }

  onPacket(handler: CaptureHandler): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cap.close();
  }
}

// cap gives no timestamp, so frames are stamped on arrival in JS:
// wall-clock base plus a monotonic offset keeps the stamps ordered.
const baseWallNs = BigInt(Date.now()) * 1_000_000n;
const baseMonoNs = process.hrtime.bigint();
function wallClockNs(): bigint {
  return baseWallNs + (process.hrtime.bigint() - baseMonoNs);
}
