import { useMemo } from "react";
import { BLOCK, type Block, blockGrid, explainLayer } from "./layout";
import { pageFontFamily, textWidth } from "./measure";

/** Card text insets, in pixels. */
const LABEL_Y = 20;
const SHAPE_Y = 38;
const BAR_Y = 46;
const INSET = 8;
/** The fonts of `.block-label` and `.shape-label` in diagram.css, for measuring. */
const LABEL_FONT_PX = 12;
const SHAPE_FONT = "11px ui-monospace, monospace";

/** The arrow from one card to the next: a short one along a row, a return under the row where the rows wrap. */
function connector(from: { x: number; y: number }, to: { x: number; y: number }, cardWidth: number): string {
  const mid = from.y + BLOCK.height / 2;
  if (to.y === from.y) return `M${from.x + cardWidth},${mid} H${to.x - 2}`;
  const below = from.y + BLOCK.height + BLOCK.gapY / 2;
  return `M${from.x + cardWidth / 2},${from.y + BLOCK.height} V${below} H${to.x + cardWidth / 2} V${to.y - 2}`;
}

/** The network as cards (input first, then each layer with its output shape), wrapped into rows that fit `width`. */
export function BlocksView(props: {
  blocks: Block[];
  width: number;
  focused: number | null;
  onFocus: (layer: number | null) => void;
}) {
  const { blocks, focused, onFocus } = props;
  // Each line's width in the fonts it is drawn in: cards grow (fewer per row) rather than clip or shrink text.
  const widths = useMemo(() => {
    const labelFont = `${LABEL_FONT_PX}px ${pageFontFamily()}`;
    return blocks.map((b) => ({ label: textWidth(b.label, labelFont), shape: textWidth(b.shape, SHAPE_FONT) }));
  }, [blocks]);
  const widest = Math.max(0, ...widths.map((w) => Math.max(w.label, w.shape)));
  const grid = blockGrid(blocks.length, props.width, Math.ceil(widest) + 2 * INSET + 2);
  const cw = grid.cardWidth;
  const room = cw - 2 * INSET;
  // Only on a panel narrower than one card does a line get squeezed (still at its font size) to stay inside.
  const squeeze = (width: number) =>
    width > room ? { textLength: room, lengthAdjust: "spacingAndGlyphs" as const } : {};
  return (
    <svg
      width={grid.width}
      height={grid.height}
      viewBox={`0 0 ${grid.width} ${grid.height}`}
      role="img"
      aria-label={`Network diagram, ${blocks.length} blocks: ${blocks.map((b) => `${b.label} ${b.shape}`).join(", ")}`}
      data-rows={grid.rows}
    >
      <defs>
        <marker id="diagram-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L8,4 L0,8 z" className="arrow-head" />
        </marker>
      </defs>
      {blocks.slice(1).map((b, i) => (
        <path
          key={`edge-${b.layer}`}
          d={connector(grid.positions[i]!, grid.positions[i + 1]!, cw)}
          className="edge flow"
          markerEnd="url(#diagram-arrow)"
        />
      ))}
      {blocks.map((b, i) => {
        const { x, y } = grid.positions[i]!;
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
            <rect x={x} y={y} width={cw} height={BLOCK.height} rx={6} className="card" />
            <text x={x + INSET} y={y + LABEL_Y} className="block-label" {...squeeze(widths[i]!.label)}>
              {b.label}
            </text>
            <text x={x + INSET} y={y + SHAPE_Y} className="shape-label" {...squeeze(widths[i]!.shape)}>
              {b.shape}
            </text>
            <rect x={x + INSET} y={y + BAR_Y} width={(cw - 2 * INSET) * b.scale} height={4} rx={2} className="size-bar">
              <title>relative output size</title>
            </rect>
          </g>
        );
      })}
    </svg>
  );
}
