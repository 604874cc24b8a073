import { explainLayer, NEURONS, type NeuronColumn, neuronGrid } from "./layout";

/** Baselines of a column's two label lines, in pixels from the top. */
const LABEL_Y = 14;
const DETAIL_Y = 30;

/**
 * A dense network as columns of neurons (input first) with every connection
 * between neighbouring columns; wide layers show their first and last units
 * around "⋮". Draws nothing when the columns do not fit side by side in `width` (see `neuronsFit`).
 */
export function NeuronsView(props: {
  columns: NeuronColumn[];
  width: number;
  focused: number | null;
  onFocus: (layer: number | null) => void;
}) {
  const { columns: cols, focused, onFocus } = props;
  const grid = neuronGrid(cols.length, Math.max(1, ...cols.map((c) => c.drawn.length)), props.width);
  if (!grid) return null;
  const { x, y } = grid;
  return (
    <svg
      width={grid.width}
      height={grid.height}
      viewBox={`0 0 ${grid.width} ${grid.height}`}
      role="img"
      aria-label={`Network diagram, neurons: ${cols.map((c) => `${c.label} ${c.detail}`).join(", ")}`}
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
                  y1={y(cols[c]!.drawn.length, i)}
                  x2={x(c + 1)}
                  y2={y(col.drawn.length, j)}
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
          aria-label={`${col.label}, ${col.units} units: ${explainLayer(col.layer >= 0 ? "dense" : "input")}`}
          onFocus={() => onFocus(col.layer)}
          onBlur={() => onFocus(null)}
          onMouseEnter={() => onFocus(col.layer)}
          onMouseLeave={() => onFocus(null)}
          className={`neuron-column${focused === col.layer ? " focus" : ""}`}
          data-testid="diagram-column"
        >
          <text x={x(c)} y={LABEL_Y} textAnchor="middle" className="block-label">
            {col.label}
          </text>
          <text x={x(c)} y={DETAIL_Y} textAnchor="middle" className="shape-label">
            {col.detail}
          </text>
          {col.drawn.map((unit, i) =>
            unit === null ? (
              <text key="more" x={x(c)} y={y(col.drawn.length, i) + 5} textAnchor="middle" className="ellipsis">
                ⋮<title>{`… ${col.units - (col.drawn.length - 1)} more units not drawn`}</title>
              </text>
            ) : (
              <circle
                key={unit}
                cx={x(c)}
                cy={y(col.drawn.length, i)}
                r={NEURONS.radius}
                className={c === 0 ? "neuron input" : c === cols.length - 1 ? "neuron output" : "neuron"}
              />
            ),
          )}
        </g>
      ))}
    </svg>
  );
}
