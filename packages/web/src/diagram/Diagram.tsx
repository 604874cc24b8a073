import { layerLabel, type SpecAnalysis } from "@layerlab/spec";
import { useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import { BlocksView } from "./BlocksView";
import "./diagram.css";
import { GraphView } from "./GraphView";
import { type DiagramView, diagramModel, explainLayer, neuronsFit } from "./layout";
import { NeuronsView } from "./NeuronsView";

const VIEW_NAMES: Record<DiagramView, string> = { blocks: "Blocks", neurons: "Neurons" };

/** The width of `ref`'s element in CSS pixels, kept current as the panel resizes. */
function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/**
 * The architecture, redrawn on every edit and drawn at the panel's own width
 * (so its text keeps its size): blocks for any net, neurons for dense nets,
 * with a switch between them.
 */
export function Diagram({
  analysis,
  inputShape,
  highlight,
}: {
  analysis: SpecAnalysis;
  inputShape: readonly number[] | null;
  highlight: number | null;
}) {
  const model = useMemo(() => diagramModel(analysis.spec, inputShape, analysis.layers), [analysis, inputShape]);
  const [chosen, setChosen] = useState<DiagramView | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const host = useRef<HTMLDivElement>(null);
  const width = useWidth(host);
  const name = useId();
  const view = chosen ?? model.preferred;
  const focused = hover ?? highlight;
  const kindOf = (layer: number) => analysis.layers.find((l) => l.index === layer)?.kind ?? "";
  const explanation =
    focused === -1
      ? `input: ${explainLayer("input")}`
      : focused !== null && focused >= 0
        ? `${layerLabel(kindOf(focused), focused)}: ${explainLayer(kindOf(focused))}`
        : "Hover a layer to see what it does.";

  const neurons =
    view === "neurons" && model.neurons && width > 0 && neuronsFit(model.neurons, width) ? (
      <NeuronsView columns={model.neurons} width={width} focused={focused} onFocus={setHover} />
    ) : null;
  const fallback =
    view === "neurons" && !neurons && width > 0
      ? (model.neuronsUnavailable ??
        "The layers do not fit side by side as neurons at this width, so the network is shown as blocks.")
      : null;
  return (
    <figure className="diagram" data-testid="diagram" data-view={neurons ? "neurons" : "blocks"}>
      <fieldset className="diagram-views">
        <legend className="sr-only">Diagram view</legend>
        {(["blocks", "neurons"] as const).map((v) => (
          <label key={v} className={view === v ? "chosen" : ""}>
            <input type="radio" name={name} value={v} checked={view === v} onChange={() => setChosen(v)} />
            {VIEW_NAMES[v]}
          </label>
        ))}
      </fieldset>
      {fallback && (
        <p className="diagram-note" role="status">
          {fallback}
        </p>
      )}
      <div className="diagram-canvas" ref={host}>
        {width > 0 &&
          (neurons ??
            (model.edges ? (
              <GraphView blocks={model.blocks} edges={model.edges} width={width} focused={focused} onFocus={setHover} />
            ) : (
              <BlocksView blocks={model.blocks} width={width} focused={focused} onFocus={setHover} />
            )))}
      </div>
      <figcaption>{explanation}</figcaption>
    </figure>
  );
}
