import type { StudioApi } from "../state/useStudio";
import { isMergeAt, sourceLabel, takesPrevious, type Wiring } from "./wiring";

/**
 * Where a layer's input comes from, said only when it is not simply the layer before ("← conv2d #3, input").
 * A merge lists its inputs as chips; each named one can be taken away (disconnected).
 */
export function LayerInputs(props: { index: number; layers: readonly unknown[]; wiring: Wiring; api: StudioApi }) {
  const { index, layers, wiring, api } = props;
  const sources = wiring.sources[index] ?? [];
  const merge = isMergeAt(layers, index);
  if (!merge && takesPrevious(wiring, index)) return null;
  const self = sourceLabel(layers, index);
  if (!merge) {
    return (
      <p className="layer-inputs" data-testid="layer-inputs">
        <span aria-hidden="true">← </span>
        <span className="sr-only">takes </span>
        {sources.length === 0 ? "nothing" : sources.map((s) => sourceLabel(layers, s)).join(", ")}
      </p>
    );
  }
  return (
    <ul className="layer-inputs merge-inputs" aria-label={`Inputs of ${self}`} data-testid="layer-inputs">
      <li aria-hidden="true">←</li>
      {sources.map((s) => (
        <li key={s} className="input-chip">
          {sourceLabel(layers, s)}
          {wiring.named[index] && (
            <button
              type="button"
              className="icon"
              aria-label={`Disconnect ${sourceLabel(layers, s)} from ${self}`}
              title="Take this input away"
              onClick={() => api.run("disconnect", { from: s, to: index })}
            >
              ✕
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
