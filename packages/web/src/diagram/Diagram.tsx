import { layerLabel, type SpecAnalysis } from "@layerlab/spec";
import { useMemo, useState } from "react";
import { explainLayer, layoutDiagram } from "./layout";

const COL_GAP = 110;
const ROW_GAP = 26;
const PAD = 24;

/** The architecture, redrawn on every edit: neurons for small dense nets, blocks with shapes for the rest. */
export function Diagram({
  analysis,
  inputShape,
  highlight,
}: {
  analysis: SpecAnalysis;
  inputShape: readonly number[] | null;
  highlight: number | null;
}) {
  const layout = useMemo(() => layoutDiagram(analysis.spec, inputShape, analysis.layers), [analysis, inputShape]);
  const [hover, setHover] = useState<number | null>(null);
  const focused = hover ?? highlight;
  const kindOf = (layer: number) => analysis.layers.find((l) => l.index === layer)?.kind ?? "";
  const explanation =
    focused !== null && focused >= 0
      ? `${layerLabel(kindOf(focused), focused)}: ${explainLayer(kindOf(focused))}`
      : "Hover a layer to see what it does.";

  if (layout.view === "neurons") {
    const cols = layout.columns;
    const rows = Math.max(...cols.map((c) => c.drawn.length), 1);
    const width = PAD * 2 + (cols.length - 1) * COL_GAP + 80;
    const height = PAD * 2 + rows * ROW_GAP + 20;
    const y = (col: number, i: number) =>
      PAD + 20 + ((rows - cols[col]!.drawn.length) * ROW_GAP) / 2 + i * ROW_GAP + ROW_GAP / 2;
    const x = (col: number) => PAD + 40 + col * COL_GAP;
    return (
      <figure className="diagram" data-testid="diagram" data-view="neurons">
        <svg
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label={`Network diagram: ${cols.map((c) => c.label).join(", ")}`}
        >
          {cols
            .slice(1)
            .map((col, c) =>
              col.drawn.flatMap((to, j) =>
                cols[c]!.drawn.map((from, i) =>
                  from === null || to === null ? null : (
                    <line
                      key={`${col.layer}-${from}-${to}`}
                      x1={x(c)}
                      y1={y(c, i)}
                      x2={x(c + 1)}
                      y2={y(c + 1, j)}
                      className={`edge${focused === col.layer ? " focus" : ""}`}
                    />
                  ),
                ),
              ),
            )}
          {cols.map((col, c) => (
            // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role and tabIndex give keyboard users the hover text.
            <g
              key={col.layer}
              role="button"
              tabIndex={0}
              aria-label={`${col.label}: ${col.layer >= 0 ? explainLayer("dense") : "the input pixels"}`}
              onFocus={() => setHover(col.layer)}
              onBlur={() => setHover(null)}
              onMouseEnter={() => setHover(col.layer)}
              onMouseLeave={() => setHover(null)}
              className={focused === col.layer ? "focus" : ""}
            >
              <text x={x(c)} y={PAD} textAnchor="middle" className="col-label">
                {col.label}
              </text>
              {col.drawn.map((unit, i) =>
                unit === null ? (
                  <text key="more" x={x(c)} y={y(c, i) + 4} textAnchor="middle" className="ellipsis">
                    ⋮
                  </text>
                ) : (
                  <circle
                    key={unit}
                    cx={x(c)}
                    cy={y(c, i)}
                    r={8}
                    className={c === 0 ? "neuron input" : c === cols.length - 1 ? "neuron output" : "neuron"}
                  />
                ),
              )}
            </g>
          ))}
        </svg>
        <figcaption>{explanation}</figcaption>
      </figure>
    );
  }
  const blocks = layout.blocks;
  const bw = 70;
  const gap = 18;
  const maxH = 120;
  const width = PAD * 2 + blocks.length * (bw + gap);
  const height = maxH + 70;
  return (
    <figure className="diagram" data-testid="diagram" data-view="blocks">
      <svg
        viewBox={`0 0 ${Math.max(width, 200)} ${height}`}
        role="img"
        aria-label={`Network diagram: ${blocks.map((b) => `${b.label} ${b.shape}`).join(", ")}`}
      >
        {blocks.map((b, i) => {
          const h = maxH * b.scale;
          const bx = PAD + i * (bw + gap);
          const by = 20 + (maxH - h) / 2;
          return (
            // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role and tabIndex give keyboard users the hover text.
            <g
              key={b.layer}
              role="button"
              tabIndex={0}
              aria-label={`${b.label} ${b.shape}: ${explainLayer(b.kind)}`}
              onFocus={() => setHover(b.layer)}
              onBlur={() => setHover(null)}
              onMouseEnter={() => setHover(b.layer)}
              onMouseLeave={() => setHover(null)}
              className={`block kind-${b.kind}${focused === b.layer ? " focus" : ""}`}
            >
              {i > 0 && <line x1={bx - gap} y1={20 + maxH / 2} x2={bx} y2={20 + maxH / 2} className="edge" />}
              <rect x={bx} y={by} width={bw} height={h} rx={6} />
              <text x={bx + bw / 2} y={20 + maxH + 18} textAnchor="middle" className="col-label">
                {b.label}
              </text>
              <text x={bx + bw / 2} y={20 + maxH + 34} textAnchor="middle" className="shape-label">
                {b.shape}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>{explanation}</figcaption>
    </figure>
  );
}
