// What tshark prints after reading for -z follow,tcp,ascii,N and -z conv,tcp,
// byte for byte (ui/cli/tap-follow.c and tap-iousers.c in Wireshark 4).

import type { TcpConversationRow } from '../dissection/conversations.ts';
import type { TcpStreamFollower } from '../dissection/stream-follow.ts';
import { formatSecondsNs } from './capture-time.ts';

const FOLLOW_RULE = '='.repeat(67);
const CONVERSATION_RULE = '='.repeat(80);

/** Bytes as text, every byte that is not printable ASCII (or \n, \r, \t) shown as '.'. */
function asciiText(data: Uint8Array): string {
  let text = '';
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    text += (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09 ? String.fromCharCode(b) : '.';
  }
  return text;
}

export function formatFollowAscii(follower: TcpStreamFollower): string {
  const nodes = follower.nodes;
  const node = (n: 0 | 1) => (nodes ? `${nodes[n].address}:${nodes[n].port}` : ':0');
  let out = `\n${FOLLOW_RULE}\nFollow: tcp,ascii\nFilter: tcp.stream eq ${follower.stream}\nNode 0: ${node(0)}\nNode 1: ${node(1)}\n`;
  for (const chunk of follower.chunks) out += `${chunk.node === 1 ? '\t' : ''}${chunk.data.length}\n${asciiText(chunk.data)}\n`;
  return `${out}${FOLLOW_RULE}\n`;
}

/** Wireshark's format_size with SI units and no decimals: "1607 bytes", "31 kB", "12 MB". */
function formatSize(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (unit < units.length - 1 && value >= 10_000) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : Math.floor(value)} ${units[unit]}`;
}

/** Duration in seconds with 4 decimals, from nanoseconds (printf %12.4f rounding). */
function formatDuration(ns: number): string {
  return (ns / 1e9).toFixed(4).padStart(12);
}

export function formatTcpConversations(rows: readonly TcpConversationRow[], filter?: string): string {
  let out = `${CONVERSATION_RULE}\nTCP Conversations\nFilter:${filter ?? '<No Filter>'}\n`;
  const indent = ' '.repeat(59);
  out += `${indent}|       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n`;
  out += `${indent}| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n`;
  for (const row of rows) {
    const a = `${row.addressA}:${row.portA}`.padEnd(26);
    const b = `${row.addressB}:${row.portB}`.padEnd(26);
    const column = (frames: number, bytes: number) => `${String(frames).padStart(6)} ${formatSize(bytes).padEnd(9)}`;
    out +=
      `${a} <-> ${b}  ${column(row.framesToA, row.bytesToA)}  ${column(row.framesFromA, row.bytesFromA)}  ` +
      `${column(row.framesToA + row.framesFromA, row.bytesToA + row.bytesFromA)}  ` +
      `${formatSecondsNs(row.startNs, 9).padStart(14)}   ${formatDuration(row.endNs - row.startNs)}\n`;
  }
  return `${out}${CONVERSATION_RULE}\n`;
}
