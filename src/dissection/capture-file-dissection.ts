// Reads capture files one after the other and hands each frame, dissected,
// to the caller, who renders it at once: records are views into the
// reader's buffer (copyData: false), valid only during the callback, which is
// what keeps memory flat however large the file. A file that cannot be opened,
// is not a capture, or breaks off in the middle is reported through
// fileError, and reading goes on with the next file.

import { CaptureFileError, type CaptureFileInfo, openCaptureFile } from '../io/pcap-file.ts';
import { CaptureDissector, type DissectionOptions } from './capture-dissector.ts';
import type { DissectedPacket, SummaryView } from './packet-model.ts';
import type { CaptureRecord } from '../wire/pcap.ts';

export interface CaptureFileHandlers<T> {
  /** A file's header was read; its packets follow. */
  fileStart?(path: string, info: CaptureFileInfo): void;
  packet(packet: T, path: string): void;
  /**
   * The file could not be read (packetsRead 0, no fileStart before), or broke
   * off after packetsRead packets. `offset` is the byte where the bad part starts.
   */
  fileError(path: string, problem: CaptureFileProblem, packetsRead: number): void;
  /** Checked after each packet: true stops reading (all files). */
  isDone?(): boolean;
  /** Awaited after each batch of records: where a slow consumer applies back-pressure. */
  afterBatch?(): Promise<void>;
}

export interface CaptureFileProblem {
  readonly kind: 'unreadable' | 'truncated' | 'malformed';
  readonly message: string;
  readonly offset?: number;
}

export interface CaptureFilesOutcome {
  /** Packets read over all files. */
  readonly packets: number;
  /** Files that could not be read to their end. */
  readonly failedFiles: number;
}

/** Why a file could not be opened, in a user's words: "No such file or directory". */
function describeOpenError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied';
    case 'EISDIR':
      return 'Is a directory';
    default:
      return e.message ?? String(error);
  }
}

function problemOf(error: unknown): CaptureFileProblem {
  if (error instanceof CaptureFileError) {
    return { kind: error.kind, message: `${error.layer}: ${error.parseError.message}`, offset: error.offset };
  }
  return { kind: 'unreadable', message: describeOpenError(error) };
}

/** What is made of each record: the full model, or just what a summary line needs. */
export type FrameStep<T> = (dissector: CaptureDissector, record: CaptureRecord) => T;

export const FULL_DISSECTION: FrameStep<DissectedPacket> = (dissector, record) => dissector.dissect(record);
export const SUMMARY_ONLY: FrameStep<SummaryView> = (dissector, record) => dissector.summarize(record);

export async function dissectCaptureFiles<T>(
  paths: readonly string[],
  handlers: CaptureFileHandlers<T>,
  step: FrameStep<T>,
  options: DissectionOptions = {},
): Promise<CaptureFilesOutcome> {
  let packets = 0;
  let failedFiles = 0;
  let done = false;
  for (const path of paths) {
    if (done) break;
    let read = 0;
    let handlerError: unknown;
    try {
      const file = await openCaptureFile(path, { copyData: false });
      handlers.fileStart?.(path, file.info);
      const dissector = new CaptureDissector(options);
      for await (const batch of file.batches()) {
        for (let i = 0; i < batch.length; i++) {
          const packet = step(dissector, batch[i]);
          try {
            handlers.packet(packet, path);
          } catch (error) {
            handlerError = error;
            throw error;
          }
          read++;
          if (handlers.isDone?.()) {
            done = true;
            break;
          }
        }
        if (handlers.afterBatch) await handlers.afterBatch();
        if (done) break;
      }
    } catch (error) {
      // The caller's own failure (a closed stdout) or a bug is not a property of the file.
      if (error === handlerError || (!(error instanceof CaptureFileError) && !(error as NodeJS.ErrnoException).code)) throw error;
      failedFiles++;
      handlers.fileError(path, problemOf(error), read);
    }
    packets += read;
  }
  return { packets, failedFiles };
}
