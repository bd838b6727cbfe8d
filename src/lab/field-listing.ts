// ls(): a layer's fields with their types and defaults, like scapy's ls(IP),
// or with a packet, the values it sets beside the defaults.

import { LAYER_FIELDS, LayerFieldError, type LayerName, Packet } from '../wire/layers.ts';

type ListedLayer = Exclude<LayerName, 'raw'>;

const LAYER_NAMES = Object.keys(LAYER_FIELDS) as ListedLayer[];

function layerNameOf(what: unknown): ListedLayer | undefined {
  if (typeof what === 'string') return LAYER_NAMES.find((name) => name === what.toLowerCase());
  // The layer functions themselves (ls(icmp)), by name: ip, icmp, tcp, udp.
  if (typeof what === 'function') return LAYER_NAMES.find((name) => name === what.name);
  return undefined;
}

function formatValue(value: unknown): string {
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

/** The lines of ls(): one per field, `name  : type  = default`, and the packet's value when one is given. */
export function ls(what?: unknown): string {
  if (what === undefined) return `layers: ${LAYER_NAMES.join(', ')} (ls(icmp) lists one)`;
  if (what instanceof Packet) {
    const sections: string[] = [];
    for (const layer of what.layers) {
      if (layer.name === 'raw') {
        sections.push(`raw\n  load       : bytes = ${formatValue(layer.fields.load)}`);
        continue;
      }
      const set = layer.fields as Record<string, unknown>;
      sections.push(`${layer.name}\n${fieldLines(layer.name, set).join('\n')}`);
    }
    return sections.join('\n');
  }
  const name = layerNameOf(what);
  if (!name) throw new LayerFieldError(`ls() takes a layer (${LAYER_NAMES.join(', ')}) or a packet`);
  return fieldLines(name, {}).join('\n');
}

function fieldLines(name: ListedLayer, set: Record<string, unknown>): string[] {
  const fields = LAYER_FIELDS[name];
  const nameWidth = Math.max(...fields.map((f) => f.name.length));
  const typeWidth = Math.max(...fields.map((f) => f.type.length));
  return fields.map((f) => {
    const value = set[f.name] === undefined ? '' : `${formatValue(set[f.name])}  (default `;
    const tail = value ? `${value}${f.default})` : f.default;
    return `  ${f.name.padEnd(nameWidth)} : ${f.type.padEnd(typeWidth)} = ${tail}`;
  });
}
