import { useMemo } from "react";
import "./graph-view.css";
import { GRAPH, type GraphNode, graphLayout } from "./graphLayout";
import { BLOCK, type Block, type DiagramEdge, explainLayer } from "./layout";
import { pageFontFamily, textWidth } from "./measure";

/** Card text insets, in pixels, as in the chain's block view. */
const LABEL_Y = 20;
const SHAPE_Y = 38;
const BAR_Y = 46;
const INSET = 8;
/** The fonts of `.block-label`, `.shape-label` and `.edge-label` in diagram.css, for measuring. */
const LABEL_FONT_PX = 12;
const SHAPE_FONT = "11px ui-monospace, monospace";
const EDGE_FONT = "10px ui-monospace, monospace";

/** The sign drawn in a merge's circle. */
const MERGE_GLYPH: Record<string, string> = { add: "+", concat: "‖" };

function Card({ node, cardWidth }: { node: GraphNode; cardWidth: number }) {
  const { block: b, x, y } = node;
  return (
    <>
      <rect x={x} y={y} width={cardWidth} height={BLOCK.height} rx={6} className="card" />
      <text x={x + INSET} y={y + LABEL_Y} className="block-label">
        {b.label}
      </text>
      <text x={x + INSET} y={y + SHAPE_Y} className="shape-label">
        {b.shape}
      </text>
      <rect
        x={x + INSET}
        y={y + BAR_Y}
        width={(cardWidth - 2 * INSET) * b.scale}
        height={4}
        rx={2}
        className="size-bar"
      >
        <title>relative output size</title>
      </rect>
    </>
  );
}

function Merge({ node, centre }: { node: GraphNode; centre: number }) {
  const cy = node.y + node.height / 2;
  return (
    <>
      {/* A transparent row-wide target, so the small circle is as easy to hover as a card. */}
      <rect x={node.x} y={node.y} width={node.width} height={node.height} className="merge-hit" />
      <text x={centre - GRAPH.mergeRadius - 6} y={cy + 4} textAnchor="end" className="block-label">
        {node.block.label}
      </text>
      <circle cx={centre} cy={cy} r={GRAPH.mergeRadius} className="card merge" />
      <text x={centre} y={cy + 5} textAnchor="middle" className="merge-glyph">
        {MERGE_GLYPH[node.block.kind] ?? "·"}
      </text>
    </>
  );
}

/**
 * A graph model (skip connections, branches) as one column of cards in the spec's order: neighbours joined
 * straight down the column, every other edge in a lane beside it, each edge labelled with its tensor shape;
 * merges are small circles (+ for add, ‖ for concat).
 */
export function GraphView(props: {
  blocks: Block[];
  edges: DiagramEdge[];
  width: number;
  focused: number | null;
  onFocus: (layer: number | null) => void;
}) {
  const { blocks, edges, focused, onFocus } = props;
  const layout = useMemo(() => {
    const labelFont = `${LABEL_FONT_PX}px ${pageFontFamily()}`;
    const isMerge = (b: Block) => b.kind === "add" || b.kind === "concat";
    const cardText = blocks
      .filter((b) => !isMerge(b))
      .map((b) => Math.max(textWidth(b.label, labelFont), textWidth(b.shape, SHAPE_FONT)));
    const mergeText = blocks.filter(isMerge).map((b) => textWidth(b.label, labelFont));
    const row = new Map(blocks.map((b, i) => [b.layer, i]));
    const neighbour = (e: DiagramEdge) => row.get(e.to)! - row.get(e.from)! === 1;
    const edgeText = (list: DiagramEdge[]) => list.map((e) => textWidth(e.shape, EDGE_FONT));
    const minCardWidth = Math.ceil(
      Math.max(
        0,
        ...cardText.map((w) => w + 2 * INSET + 2),
        ...mergeText.map((w) => 2 * (w + GRAPH.mergeRadius + 8)),
        ...edgeText(edges.filter(neighbour)).map((w) => 2 * (w + GRAPH.labelPad + 4)),
      ),
    );
    const labelWidth = Math.ceil(Math.max(0, ...edgeText(edges.filter((e) => !neighbour(e)))));
    return graphLayout(blocks, edges, props.width, { minCardWidth, labelWidth });
  }, [blocks, edges, props.width]);
  const centre = BLOCK.pad + layout.cardWidth / 2;
  const skips = layout.edges.filter((e) => e.skip);
  const nameOf = (layer: number) => blocks.find((b) => b.layer === layer)?.label ?? "?";
  return (
    <svg
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="img"
      aria-label={`Network graph, ${blocks.length} blocks and ${skips.length} skip connection${skips.length === 1 ? "" : "s"}: ${skips
        .map((e) => `${nameOf(e.edge.from)} to ${nameOf(e.edge.to)} carrying ${e.edge.shape}`)
        .join(", ")}`}
      data-lanes={layout.lanes}
      className="graph-view"
    >
      <defs>
        <marker id="graph-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L8,4 L0,8 z" className="arrow-head" />
        </marker>
      </defs>
      {layout.edges.map((e) => (
        <g
          key={`${e.edge.from}-${e.edge.to}`}
          className={e.skip ? "graph-edge skip" : "graph-edge"}
          data-testid="diagram-edge"
          data-from={e.edge.from}
          data-to={e.edge.to}
        >
          <path d={e.path} className="edge flow" markerEnd="url(#graph-arrow)" />
          <text x={e.label.x} y={e.label.y} className="edge-label">
            {e.edge.shape}
          </text>
        </g>
      ))}
      {layout.nodes.map((node) => {
        const b = node.block;
        return (
          // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role and tabIndex give keyboard users the hover text.
          <g
            key={b.layer}
            role="button"
            tabIndex={0}
            aria-label={`${b.label}, output ${b.shape}: ${explainLayer(b.kind)}`}
            onFocus={() => onFocus(b.layer)}
            onBlur={() => onFocus(null)}
            onMouseEnter={() => onFocus(b.layer)}
            onMouseLeave={() => onFocus(null)}
            className={`block kind-${b.kind}${focused === b.layer ? " focus" : ""}`}
            data-testid="diagram-block"
          >
            {node.merge ? <Merge node={node} centre={centre} /> : <Card node={node} cardWidth={layout.cardWidth} />}
          </g>
        );
      })}
    </svg>
  );
}
