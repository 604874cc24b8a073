import type { LayerInfo, SpecAnalysis } from "@layerlab/spec";
import { esc } from "./html";

/*
 * The architecture of a graph model as an inline SVG: the layers top to bottom in the spec's order (a
 * topological order), an edge to the next layer as a short line, and every other edge (a shortcut, a branch)
 * as an arc on the right, each in a lane of its own so that arcs never cross one another's ends.
 */

const ROW = 26;
const BOX_H = 18;
/** Width of one character of the 11 px labels, generously: boxes are sized to their longest label. */
const CHAR_W = 6.6;
const LEFT = 4;
const LANE = 12;

/** The words in a node: `#3 conv2d 's1' → [16,28,28]`. */
function nodeText(layer: LayerInfo | null, id: string | undefined, inputShape: readonly number[]): string {
  if (layer === null) return `input → [${inputShape.join(",")}]`;
  const name = id === undefined ? "" : ` '${id}'`;
  const out = layer.outShape ? ` → [${layer.outShape.join(",")}]` : "";
  return `#${layer.index + 1} ${layer.kind}${name}${out}`;
}

/** Lanes for the arcs, first fit by where they start: two arcs share a lane only when their spans do not overlap. */
function lanes(arcs: readonly { from: number; to: number }[]): number[] {
  const laneEnds: number[] = [];
  return arcs.map(({ from, to }) => {
    let lane = laneEnds.findIndex((end) => end < from);
    if (lane < 0) lane = laneEnds.push(to) - 1;
    else laneEnds[lane] = to;
    return lane;
  });
}

/** The SVG of `analysis`'s graph, or null for a chain (the layer table says it all) or a spec that did not parse. */
export function graphFigure(analysis: SpecAnalysis): string | null {
  const spec = analysis.spec;
  if (spec === null || analysis.layers.length === 0) return null;
  const chain = analysis.layers.every((l) => l.sources.length === 1 && l.sources[0] === l.index - 1);
  if (chain) return null;
  // Row 0 is the model's input, row i + 1 is layer i.
  const rowOf = (source: number) => source + 1;
  const y = (row: number) => row * ROW + 2;
  const arcs = analysis.layers
    .flatMap((l) => l.sources.map((s) => ({ from: rowOf(s), to: rowOf(l.index) })))
    .filter((e) => e.to - e.from !== 1)
    .sort((a, b) => a.from - b.from || a.to - b.to);
  const texts = [null, ...analysis.layers].map((l) =>
    nodeText(l, l ? spec.layers[l.index]?.id : undefined, spec.input.shape),
  );
  const boxWidth = Math.max(200, Math.ceil(Math.max(...texts.map((t) => t.length)) * CHAR_W) + 16);
  const laneOf = lanes(arcs);
  const laneCount = Math.max(0, ...laneOf.map((l) => l + 1));
  const width = LEFT + boxWidth + 16 + laneCount * LANE;
  const rows = analysis.layers.length + 1;
  const height = y(rows - 1) + BOX_H + 2;
  const next = new Set(analysis.layers.flatMap((l) => (l.sources.includes(l.index - 1) ? [rowOf(l.index)] : [])));
  const parts: string[] = [];
  for (let row = 0; row < rows; row++) {
    const layer = row === 0 ? null : analysis.layers[row - 1]!;
    const merge = layer?.kind === "add" || layer?.kind === "concat";
    const fill = row === 0 ? "#eef3f8" : merge ? "#fff4e0" : "#f7f7f7";
    const stroke = merge ? "#e69500" : "#999";
    const text = texts[row]!;
    parts.push(
      `<g class="node"><title>${esc(text)}</title><rect x="${LEFT}" y="${y(row)}" width="${boxWidth}" height="${BOX_H}" rx="${merge ? 9 : 3}" fill="${fill}" stroke="${stroke}"/>` +
        `<text x="${LEFT + 8}" y="${y(row) + 13}" font-size="11">${esc(text)}</text></g>`,
    );
    if (next.has(row)) {
      const x = LEFT + boxWidth / 2;
      parts.push(`<line x1="${x}" y1="${y(row - 1) + BOX_H}" x2="${x}" y2="${y(row)}" stroke="#666"/>`);
    }
  }
  arcs.forEach((arc, k) => {
    const x0 = LEFT + boxWidth;
    const x = x0 + 10 + laneOf[k]! * LANE;
    // Edges leave a box at its upper half and enter at its lower half, so one leaving where another ends stays apart.
    const y0 = y(arc.from) + BOX_H * 0.3;
    const y1 = y(arc.to) + BOX_H * 0.7;
    parts.push(
      `<path class="edge" d="M${x0} ${y0}H${x - 4}Q${x} ${y0} ${x} ${y0 + 4}V${y1 - 4}Q${x} ${y1} ${x - 4} ${y1}H${x0 + 1}" fill="none" stroke="#1f77b4" marker-end="url(#arrow)"/>`,
    );
  });
  const marker =
    '<defs><marker id="arrow" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0L6 3L0 6z" fill="#1f77b4"/></marker></defs>';
  const label = `The model's graph: ${analysis.layers.length} layers, ${arcs.length} edges that skip or branch`;
  return `<figure class="graph"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">${marker}${parts.join("")}</svg><figcaption class="muted">${esc(label)}: layers top to bottom in the order of the spec; an arc on the right is an input that is not the layer just above.</figcaption></figure>`;
}
