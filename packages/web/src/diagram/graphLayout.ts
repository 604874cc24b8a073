import { BLOCK, type Block, type DiagramEdge } from "./layout";

/*
 * The block view of a graph model: one column of nodes in the spec's order (a topological order), edges
 * between neighbours drawn straight down the column, and every other edge (a skip connection or a branch)
 * drawn beside the column in a lane of its own, so it never crosses a node. Each edge is labelled with the
 * shape of the tensor it carries; labels sit in the gaps between rows, where no edge runs sideways.
 */

/** Spacing of the graph view, in CSS pixels. */
export const GRAPH = {
  /** Vertical gap between rows: room for one edge label. */
  rowGap: 26,
  /** A merge is a small circle in a short row. */
  mergeHeight: 34,
  mergeRadius: 13,
  /** From the column's right edge to the first lane. */
  laneStart: 20,
  /** Between a lane and its label, and around a label. */
  labelPad: 6,
  /** Radius of a lane's rounded corners. */
  corner: 8,
} as const;

/** Where a node is drawn: a card, or a circle for a merge (centred in its row). */
export interface GraphNode {
  block: Block;
  merge: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge's path and the place of its shape label (`x` is where the text starts). */
export interface GraphEdgePlacement {
  edge: DiagramEdge;
  /** True for an edge between layers that are not neighbours: drawn in a lane beside the column. */
  skip: boolean;
  lane: number | null;
  path: string;
  label: { x: number; y: number };
}

export interface GraphLayout {
  width: number;
  height: number;
  cardWidth: number;
  lanes: number;
  nodes: GraphNode[];
  edges: GraphEdgePlacement[];
}

const MERGE_KINDS = new Set(["add", "concat"]);

/** The text baseline that centres a 10–11 px label on `y`. */
const BASELINE_SHIFT = 4;

/**
 * Lanes for the skip edges (pairs of row indices): the lowest lane whose last edge ends strictly before
 * this one starts, so edges in one lane never meet (two that met at a node would read as one).
 */
export function assignLanes(spans: readonly { from: number; to: number }[]): number[] {
  const order = spans.map((_, k) => k).sort((a, b) => spans[a]!.from - spans[b]!.from || spans[a]!.to - spans[b]!.to);
  const laneEnds: number[] = [];
  const lanes: number[] = new Array(spans.length);
  for (const k of order) {
    const { from, to } = spans[k]!;
    let lane = laneEnds.findIndex((end) => end < from);
    if (lane < 0) lane = laneEnds.push(to) - 1;
    else laneEnds[lane] = to;
    lanes[k] = lane;
  }
  return lanes;
}

/**
 * Lays out `blocks` (input first, then layers in order) joined by `edges` in `width` pixels.
 * `minCardWidth` fits the widest card text and a neighbour edge's label beside its arrow; `labelWidth` is
 * the widest skip edge label. When the lanes do not fit beside cards of that width, the drawing is wider
 * than `width` (and the page scales it down).
 */
export function graphLayout(
  blocks: readonly Block[],
  edges: readonly DiagramEdge[],
  width: number,
  sizes: { minCardWidth: number; labelWidth: number },
): GraphLayout {
  const row = new Map(blocks.map((b, i) => [b.layer, i]));
  const placed = edges.filter((e) => row.has(e.from) && row.has(e.to));
  const rowOf = (layer: number) => row.get(layer)!;
  const isSkip = (e: DiagramEdge) => rowOf(e.to) - rowOf(e.from) !== 1;
  const skips = placed.filter(isSkip);
  const laneOfSkip = assignLanes(skips.map((e) => ({ from: rowOf(e.from), to: rowOf(e.to) })));
  const lanes = skips.length === 0 ? 0 : Math.max(...laneOfSkip) + 1;
  const laneGap = sizes.labelWidth + 2 * GRAPH.labelPad + 4;
  const laneRoom = lanes === 0 ? 0 : GRAPH.laneStart + (lanes - 1) * laneGap + GRAPH.labelPad + sizes.labelWidth;
  const least = Math.max(BLOCK.minWidth, sizes.minCardWidth);
  const cardWidth = Math.max(least, Math.min(BLOCK.maxWidth, width - 2 * BLOCK.pad - laneRoom));
  const centre = BLOCK.pad + cardWidth / 2;
  const right = BLOCK.pad + cardWidth;

  let y = BLOCK.pad;
  const nodes: GraphNode[] = blocks.map((block) => {
    const merge = MERGE_KINDS.has(block.kind);
    const height = merge ? GRAPH.mergeHeight : BLOCK.height;
    const node = { block, merge, x: BLOCK.pad, y, width: cardWidth, height };
    y += height + GRAPH.rowGap;
    return node;
  });
  const height = y - GRAPH.rowGap + BLOCK.pad;
  const middle = (n: GraphNode) => n.y + n.height / 2;
  const top = (n: GraphNode) => (n.merge ? middle(n) - GRAPH.mergeRadius : n.y);
  const bottom = (n: GraphNode) => (n.merge ? middle(n) + GRAPH.mergeRadius : n.y + n.height);
  const side = (n: GraphNode) => (n.merge ? centre + GRAPH.mergeRadius : right);
  // The middle of the gap under row r.
  const gapBelow = (r: number) => nodes[r]!.y + nodes[r]!.height + GRAPH.rowGap / 2;

  const placements = placed.map((edge): GraphEdgePlacement => {
    const a = nodes[rowOf(edge.from)]!;
    const b = nodes[rowOf(edge.to)]!;
    if (!isSkip(edge)) {
      return {
        edge,
        skip: false,
        lane: null,
        path: `M${centre},${bottom(a)} V${top(b) - 2}`,
        label: { x: centre + GRAPH.labelPad, y: gapBelow(rowOf(edge.from)) + BASELINE_SHIFT },
      };
    }
    const lane = laneOfSkip[skips.indexOf(edge)]!;
    const laneX = right + GRAPH.laneStart + lane * laneGap;
    const y1 = middle(a);
    const y2 = middle(b);
    const r = GRAPH.corner;
    // The gap (between two rows the edge passes) nearest its middle: no edge runs sideways there.
    const rows = Array.from({ length: rowOf(edge.to) - rowOf(edge.from) }, (_, k) => rowOf(edge.from) + k);
    const mid = (y1 + y2) / 2;
    const gap = rows.map(gapBelow).reduce((best, g) => (Math.abs(g - mid) < Math.abs(best - mid) ? g : best));
    return {
      edge,
      skip: true,
      lane,
      path: `M${side(a)},${y1} H${laneX - r} Q${laneX},${y1} ${laneX},${y1 + r} V${y2 - r} Q${laneX},${y2} ${laneX - r},${y2} H${side(b) + 2}`,
      label: { x: laneX + GRAPH.labelPad, y: gap + BASELINE_SHIFT },
    };
  });
  return {
    width: right + laneRoom + BLOCK.pad,
    height,
    cardWidth,
    lanes,
    nodes,
    edges: placements,
  };
}
