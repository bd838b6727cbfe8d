// TCP options as tcpdump prints them, for the TCP tools' trace and probe lines.
import type { TcpOption } from '../wire/tcp.ts';

/** tcpdump's option list: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`. */
export function formatTcpOptions(options: readonly TcpOption[]): string {
  return options
    .map((option) => {
      switch (option.kind) {
        case 'eol':
          return 'eol';
        case 'nop':
          return 'nop';
        case 'mss':
          return `mss ${option.value}`;
        case 'window-scale':
          return `wscale ${option.shift}`;
        case 'sack-permitted':
          return 'sackOK';
        case 'sack':
          return `sack ${option.blocks.length} ${option.blocks.map((b) => `{${b.left}:${b.right}}`).join('')}`;
        case 'timestamps':
          return `TS val ${option.value} ecr ${option.echoReply}`;
        case 'unknown':
          return `unknown-${option.type} ${Buffer.from(option.data).toString('hex')}`;
        case 'raw':
          return `raw ${Buffer.from(option.bytes).toString('hex')}`;
      }
    })
    .join(',');
}
