import {
  appliedActivation,
  formatShape,
  LAYER_RULES,
  type LayerInfo,
  layerLabel,
  type ModelSpec,
  type Shape,
} from "@layerlab/spec";

/** Most neurons drawn per column; wider layers show their first and last ones around an ellipsis. */
export const MAX_DRAWN_NEURONS = 10;

/** The two ways the diagram draws a network. */
export type DiagramView = "blocks" | "neurons";

/** One box of the block view: the input or one layer, with its output shape. */
export interface Block {
  /** Index of the layer in the spec; -1 for the input. */
  layer: number;
  kind: string;
  /** "input" or the builder's name for the layer ("dense #3"). */
  label: string;
  /** The output shape as the builder writes it ("[32,28,28]"). */
  shape: string;
  /** Relative output size in [0.1, 1], from the log of the element count (the bar under the label). */
  scale: number;
}

/** One column of the neuron view: the input or a dense layer's outputs. */
export interface NeuronColumn {
  /** Index of the layer this column is the output of; -1 for the input. */
  layer: number;
  /** "input" or the builder's name for the layer. */
  label: string;
  /** The second line: the input's shape, or a dense layer's units and activation ("128 · relu"). */
  detail: string;
  units: number;
  /** The unit indices drawn, with null where the ellipsis goes. */
  drawn: (number | null)[];
}

/** One edge of a graph model: the output of `from` (−1: the input) into layer `to`. */
export interface DiagramEdge {
  from: number;
  to: number;
  /** The shape the edge carries, the output shape of `from` as the builder writes it ("[32,13,13]"). */
  shape: string;
}

/** What the diagram can draw for one spec: always blocks; neurons for dense nets, else why not. */
export interface DiagramModel {
  blocks: Block[];
  /** Every edge, for a model that is not a plain chain (skip connections, branches); null for a chain. */
  edges: DiagramEdge[] | null;
  /** The neuron columns, null when the net has layers the neuron view cannot draw. */
  neurons: NeuronColumn[] | null;
  /** Why there is no neuron view, said where the learner asked for it. */
  neuronsUnavailable: string | null;
  /** The view shown until the learner picks one: neurons where they can be drawn. */
  preferred: DiagramView;
}

function drawnUnits(units: number): (number | null)[] {
  if (units <= MAX_DRAWN_NEURONS) return Array.from({ length: units }, (_, i) => i);
  const half = Math.floor((MAX_DRAWN_NEURONS - 1) / 2);
  const tail = MAX_DRAWN_NEURONS - 1 - half;
  return [
    ...Array.from({ length: half }, (_, i) => i),
    null,
    ...Array.from({ length: tail }, (_, i) => units - tail + i),
  ];
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Kinds that keep a spatial map: drawn as neurons they would be thousands of units, so those nets are blocks only. */
const SPATIAL_KINDS = new Set(["conv2d", "maxPool2d", "avgPool2d", "globalAvgPool"]);

/**
 * What the diagram shows for a spec. Only layers whose shapes analysis knows
 * are drawn, so a half-typed model still shows the part that works.
 */
export function diagramModel(spec: ModelSpec | null, inputShape: Shape | null, layers: LayerInfo[]): DiagramModel {
  const sizes = [inputShape ? size(inputShape) : 1, ...layers.map((l) => (l.outShape ? size(l.outShape) : 1))];
  const maxLog = Math.max(1, ...sizes.map((n) => Math.log10(1 + n)));
  const scale = (n: number) => Math.max(0.1, Math.log10(1 + n) / maxLog);
  const blocks: Block[] = [
    {
      layer: -1,
      kind: "input",
      label: "input",
      shape: inputShape ? formatShape(inputShape) : "?",
      scale: scale(sizes[0]!),
    },
    ...layers.map((info, i) => ({
      layer: info.index,
      kind: info.kind,
      label: layerLabel(info.kind, info.index),
      shape: info.outShape ? formatShape(info.outShape) : "?",
      scale: scale(sizes[i + 1]!),
    })),
  ];
  const edges = graphEdges(inputShape, layers);
  const spatial = layers.some((l) => SPATIAL_KINDS.has(l.kind));
  if (spatial || !inputShape || edges) {
    return {
      blocks,
      edges,
      neurons: null,
      neuronsUnavailable: edges
        ? "The neuron view draws a plain stack of dense layers; this network has a skip connection or a branch, so it is shown as a graph of blocks."
        : spatial
          ? "The neuron view draws dense layers only; this network has convolution or pooling layers, so it is shown as blocks."
          : "The neuron view needs a valid input shape; the network is shown as blocks.",
      preferred: "blocks",
    };
  }
  const inUnits = size(inputShape);
  const neurons: NeuronColumn[] = [
    { layer: -1, label: "input", detail: formatShape(inputShape), units: inUnits, drawn: drawnUnits(inUnits) },
  ];
  for (const info of layers) {
    // Only layers that change the representation get a column; activations and dropout keep the width.
    if (info.kind !== "dense" || !info.outShape) continue;
    const units = info.outShape[0]!;
    const layer = spec?.layers[info.index];
    const act = layer ? appliedActivation(layer) : null;
    neurons.push({
      layer: info.index,
      label: layerLabel(info.kind, info.index),
      detail: `${units}${act ? ` · ${act}` : ""}`,
      units,
      drawn: drawnUnits(units),
    });
  }
  return { blocks, edges, neurons, neuronsUnavailable: null, preferred: "neurons" };
}

/** The edges of a model whose layers do not simply each take the one before; null for such a chain. */
function graphEdges(inputShape: Shape | null, layers: readonly LayerInfo[]): DiagramEdge[] | null {
  const chain = layers.every((l) => l.sources.length === 1 && l.sources[0] === l.index - 1);
  if (chain) return null;
  const outShape = new Map(layers.map((l) => [l.index, l.outShape]));
  const shapeOf = (source: number) => (source < 0 ? inputShape : outShape.get(source));
  return layers.flatMap((l) =>
    l.sources.map((from) => {
      const shape = shapeOf(from);
      return { from, to: l.index, shape: shape ? formatShape(shape) : "?" };
    }),
  );
}

/** The one-sentence explanation a hover shows for a layer kind. */
export function explainLayer(kind: string): string {
  if (kind === "input") return "The image as the network receives it: channels × height × width.";
  return (LAYER_RULES as Record<string, { summary: string }>)[kind]?.summary ?? "";
}

/** Block cards' size and spacing, in CSS pixels (the SVG is drawn 1:1, so its 12 px text is 12 px on screen). */
export const BLOCK = { minWidth: 84, maxWidth: 150, height: 58, gapX: 18, gapY: 24, pad: 2 } as const;

/** Where the block view puts its cards for a panel `width` pixels wide: as many per row as fit, in reading order. */
export interface BlockGrid {
  perRow: number;
  rows: number;
  cardWidth: number;
  width: number;
  height: number;
  /** Each card's top-left corner. */
  positions: { x: number; y: number }[];
}

/**
 * Wraps `count` cards into rows that fit `width` pixels, each card at least
 * `minCardWidth` wide (the widest label plus its insets) and BLOCK.minWidth.
 */
export function blockGrid(count: number, width: number, minCardWidth: number = BLOCK.minWidth): BlockGrid {
  const least = Math.max(BLOCK.minWidth, minCardWidth);
  const inner = Math.max(least, width - 2 * BLOCK.pad);
  const fit = Math.floor((inner + BLOCK.gapX) / (least + BLOCK.gapX));
  const perRow = Math.max(1, Math.min(count, fit));
  const rows = Math.max(1, Math.ceil(count / perRow));
  const cardWidth = Math.min(BLOCK.maxWidth, (inner - (perRow - 1) * BLOCK.gapX) / perRow);
  const positions = Array.from({ length: count }, (_, i) => ({
    x: BLOCK.pad + (i % perRow) * (cardWidth + BLOCK.gapX),
    y: BLOCK.pad + Math.floor(i / perRow) * (BLOCK.height + BLOCK.gapY),
  }));
  return {
    perRow,
    rows,
    cardWidth,
    width: 2 * BLOCK.pad + perRow * cardWidth + (perRow - 1) * BLOCK.gapX,
    height: 2 * BLOCK.pad + rows * BLOCK.height + (rows - 1) * BLOCK.gapY,
    positions,
  };
}

/** Neuron view spacing, in CSS pixels. */
export const NEURONS = { minColumnGap: 76, sidePad: 46, top: 46, rowGap: 24, radius: 8, bottom: 6 } as const;

/** Where the neuron view puts its columns in `width` pixels; null when they do not fit side by side. */
export function neuronGrid(
  columns: number,
  maxDrawn: number,
  width: number,
): { width: number; height: number; x: (col: number) => number; y: (drawn: number, i: number) => number } | null {
  const span = width - 2 * NEURONS.sidePad;
  const gap = columns > 1 ? span / (columns - 1) : 0;
  if (columns > 1 && gap < NEURONS.minColumnGap) return null;
  const rows = Math.max(1, maxDrawn);
  return {
    width,
    height: NEURONS.top + rows * NEURONS.rowGap + NEURONS.bottom,
    x: (col) => (columns > 1 ? NEURONS.sidePad + col * gap : width / 2),
    // Shorter columns are centred against the tallest.
    y: (drawn, i) => NEURONS.top + ((rows - drawn) * NEURONS.rowGap) / 2 + i * NEURONS.rowGap + NEURONS.rowGap / 2,
  };
}

/** Whether `columns` fit side by side as neurons in `width` pixels. */
export function neuronsFit(columns: readonly NeuronColumn[], width: number): boolean {
  return neuronGrid(columns.length, MAX_DRAWN_NEURONS, width) !== null;
}
