// The views dissect and craft share, put together for one packet in a fixed
// order: summary line (or the field tree with -V), header diagrams, checksum
// walkthroughs, hex dump. Blank lines separate packets once any view beyond
// the summary line is on, as tshark separates -V trees.

import { packetChecksumExplanations } from '../dissection/checksum-walkthrough.ts';
import { packetLayouts } from '../dissection/header-layout.ts';
import type { DissectedPacket } from '../dissection/packet-model.ts';
import { checksumWalkthroughLines } from './checksum-walkthrough.ts';
import { headerDiagramLines } from './header-diagram.ts';
import { hexDumpLines } from './hex-dump.ts';
import { formatSummaryLine } from './packet-summary.ts';
import { packetTreeLines } from './packet-tree.ts';
import { PLAIN_STYLE, type TextStyle } from './terminal-style.ts';

export interface PacketViewOptions {
  readonly tree: boolean;
  readonly hex: boolean;
  readonly diagram: boolean;
  readonly checksum: boolean;
}

export function hasDetailedViews(views: PacketViewOptions): boolean {
  return views.tree || views.hex || views.diagram || views.checksum;
}

/** The packet's text, without a trailing newline; `digits` is the time resolution for the summary line. */
export function packetViewText(packet: DissectedPacket, views: PacketViewOptions, digits: number, style: TextStyle = PLAIN_STYLE): string {
  if (!hasDetailedViews(views)) return formatSummaryLine(packet, digits, style);
  const sections: string[][] = [];
  sections.push(views.tree ? packetTreeLines(packet, style) : [formatSummaryLine(packet, digits, style)]);
  if (views.diagram) for (const layout of packetLayouts(packet)) sections.push(headerDiagramLines(layout));
  if (views.checksum) for (const explanation of packetChecksumExplanations(packet)) sections.push(checksumWalkthroughLines(explanation, style));
  if (views.hex) sections.push(hexDumpLines(packet.data));
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
