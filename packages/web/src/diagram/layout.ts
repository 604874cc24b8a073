import {
  appliedActivation,
  formatShape,
  LAYER_RULES,
  type LayerInfo,
  type ModelSpec,
  type Shape,
} from "@layerlab/spec";

/** Most neurons drawn per column; wider layers show their first and last ones around an ellipsis. */
export const MAX_DRAWN_NEURONS = 10;
/** A dense net is drawn as neurons when no layer is wider than this (else as blocks). */
export const NEURON_VIEW_MAX_UNITS = 1024;

/** One column of the neuron view: a layer's outputs. */
export interface NeuronColumn {
  /** Index of the layer this column is the output of; -1 for the input. */
  layer: number;
  label: string;
  units: number;
  /** The unit indices drawn, with null where the ellipsis goes. */
  drawn: (number | null)[];
}

/** One box of the block view. */
export interface Block {
  layer: number;
  kind: string;
  label: string;
  shape: string;
  /** Relative height in [0.25, 1], from the log of the output size. */
  scale: number;
}

/** What the diagram draws: neurons and connections for small dense nets, blocks with shapes otherwise. */
export type DiagramLayout = { view: "neurons"; columns: NeuronColumn[] } | { view: "blocks"; blocks: Block[] };

function drawnUnits(units: number): (number | null)[] {
  if (units <= MAX_DRAWN_NEURONS) return Array.from({ length: units }, (_, i) => i);
  const half = Math.floor((MAX_DRAWN_NEURONS - 1) / 2);
  const head = Array.from({ length: half }, (_, i) => i);
  const tail = Array.from(
    { length: MAX_DRAWN_NEURONS - 1 - half },
    (_, i) => units - (MAX_DRAWN_NEURONS - 1 - half) + i,
  );
  return [...head, null, ...tail];
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Lays a spec out for the diagram. Only layers whose shapes analysis knows are
 * drawn, so a half-typed model still shows the part that works.
 */
export function layoutDiagram(spec: ModelSpec | null, inputShape: Shape | null, layers: LayerInfo[]): DiagramLayout {
  const kinds = layers.map((l) => l.kind);
  const spatial = kinds.some((k) => k === "conv2d" || k === "maxPool2d" || k === "avgPool2d" || k === "globalAvgPool");
  const widest = Math.max(0, ...layers.map((l) => (l.outShape ? size(l.outShape) : 0)));
  if (!spatial && widest <= NEURON_VIEW_MAX_UNITS && inputShape) {
    const columns: NeuronColumn[] = [];
    const inUnits = size(inputShape);
    columns.push({ layer: -1, label: `input ${formatShape(inputShape)}`, units: inUnits, drawn: drawnUnits(inUnits) });
    for (const info of layers) {
      // Only layers that change the representation get a column; the others annotate the previous one.
      if (info.kind !== "dense" || !info.outShape) continue;
      const units = info.outShape[0]!;
      const layer = spec?.layers[info.index];
      const act = layer ? appliedActivation(layer) : null;
      columns.push({
        layer: info.index,
        label: `dense ${units}${act ? ` · ${act}` : ""}`,
        units,
        drawn: drawnUnits(units),
      });
    }
    return { view: "neurons", columns };
  }
  const logs = layers.map((l) => Math.log10(1 + (l.outShape ? size(l.outShape) : 1)));
  const maxLog = Math.max(1, ...logs);
  const blocks: Block[] = layers.map((info, i) => ({
    layer: info.index,
    kind: info.kind,
    label: info.kind,
    shape: info.outShape ? formatShape(info.outShape) : "?",
    scale: Math.max(0.25, logs[i]! / maxLog),
  }));
  return { view: "blocks", blocks };
}

/** The one-sentence explanation a hover shows for a layer kind. */
export function explainLayer(kind: string): string {
  return (LAYER_RULES as Record<string, { summary: string }>)[kind]?.summary ?? "";
}
