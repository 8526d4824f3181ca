// The text of Sequential.summary(): layers, output shapes and parameter counts.
import type { Layer } from '../layers/base';

export function summaryText(name: string, layers: readonly Layer[]): string {
  const rows = layers.map((l) => [`${l.name} (${l.className})`, `[null, ${l.outputShape!.join(', ')}]`, String(l.countParams())]);
  const head = ['Layer (type)', 'Output shape', 'Param #'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('').trimEnd();
  const rule = '-'.repeat(w.reduce((a, b) => a + b, 0));
  const trainable = layers.reduce((n, l) => n + l.params().reduce((k, p) => k + p.value.length, 0), 0);
  const total = layers.reduce((n, l) => n + l.countParams(), 0);
  return [
    `Model: "${name}"`,
    rule,
    line(head),
    rule.replace(/-/g, '='),
    ...rows.map(line),
    rule.replace(/-/g, '='),
    `Total params: ${total}`,
    `Trainable params: ${trainable}`,
    `Non-trainable params: ${total - trainable}`,
    rule,
  ].join('\n');
}
