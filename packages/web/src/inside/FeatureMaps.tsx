import { useEffect, useRef, useState } from "react";
import { type FeatureMapLayer, toRgba } from "./featureMaps";

/** One single-channel image on a canvas of its own pixel size, scaled up by CSS without smoothing. */
function MapImage(props: { values: Float32Array; width: number; height: number; label: string; testId: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { values, width, height } = props;
  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (ctx) ctx.putImageData(new ImageData(toRgba(values), width, height), 0, 0);
  }, [values, width, height]);
  return (
    <canvas
      ref={canvas}
      width={width}
      height={height}
      className="fmap"
      data-testid={props.testId}
      aria-label={props.label}
    />
  );
}

/**
 * The channels of every layer with an image output (every node of a graph, its adds and concats too) for
 * the current input as a grid, a conv layer's filters, and one channel enlarged on click.
 */
export function FeatureMaps({ layers }: { layers: FeatureMapLayer[] }) {
  const [picked, setPicked] = useState<{ layer: number; channel: number } | null>(null);
  if (layers.length === 0) return <p className="muted">No layer of this model outputs an image.</p>;
  const enlarged = picked && layers.find((l) => l.layer === picked.layer);
  return (
    <div className="feature-maps">
      {enlarged && picked && (
        <figure className="fmap-enlarged" data-testid="fmap-enlarged">
          <MapImage
            values={enlarged.channels[picked.channel]!}
            width={enlarged.shape[2]}
            height={enlarged.shape[1]}
            label={`${enlarged.title}, channel ${picked.channel + 1}, enlarged`}
            testId="fmap-big"
          />
          <figcaption>
            {enlarged.title}, channel {picked.channel + 1} ({enlarged.shape[1]}×{enlarged.shape[2]}){" "}
            <button type="button" className="ghost" onClick={() => setPicked(null)}>
              Close
            </button>
          </figcaption>
        </figure>
      )}
      {layers.map((l) => (
        <section
          key={l.layer}
          className="fmap-layer"
          data-testid={`fmap-layer-${l.layer}`}
          data-channels={l.shape[0]}
          data-size={`${l.shape[1]}x${l.shape[2]}`}
          data-kind={l.kind}
        >
          <h4>
            {l.title}: {l.shape[0]} channels of {l.shape[1]}×{l.shape[2]}
            {l.takes && <span className="muted fmap-takes"> — {l.takes}</span>}
          </h4>
          <div className="fmap-grid">
            {l.channels.map((values, k) => (
              <button
                // biome-ignore lint/suspicious/noArrayIndexKey: channels are positional.
                key={k}
                type="button"
                className="fmap-cell"
                aria-pressed={picked?.layer === l.layer && picked.channel === k}
                onClick={() => setPicked({ layer: l.layer, channel: k })}
                title={`channel ${k + 1}`}
              >
                <MapImage
                  values={values}
                  width={l.shape[2]}
                  height={l.shape[1]}
                  label={`channel ${k + 1}`}
                  testId="fmap"
                />
              </button>
            ))}
          </div>
          {l.filters.length > 0 && (
            <details className="fmap-filters">
              <summary>
                Learned filters ({l.filterSize[0]}×{l.filterSize[1]}, averaged over input channels)
              </summary>
              <div className="fmap-grid">
                {l.filters.map((values, k) => (
                  <MapImage
                    // biome-ignore lint/suspicious/noArrayIndexKey: filters are positional.
                    key={k}
                    values={values}
                    width={l.filterSize[1]}
                    height={l.filterSize[0]}
                    label={`filter ${k + 1}`}
                    testId="filter"
                  />
                ))}
              </div>
            </details>
          )}
        </section>
      ))}
    </div>
  );
}
