import type { SaliencyMap } from "@layerlab/engine";
import { useEffect, useRef } from "react";
import { heatPixels, type MapPlacement } from "./heatmap";

/** How much the drawing under a map is darkened (the opacity of a black veil). */
const INK_DIMMING = 0.45;

/**
 * A transparent canvas of `size`×`size` pixels laid over another (the
 * drawing), holding the heat map of `map` placed where the model's input
 * pixels came from. Blank while there is no map.
 */
export function SaliencyOverlay({
  map,
  placement,
  size,
  label,
}: {
  map: Pick<SaliencyMap, "values" | "width" | "height"> | null;
  placement: MapPlacement | null;
  size: number;
  label: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, size, size);
    if (!map || !placement) return;
    // The ink is dimmed under the map, so that the heat's colours stand out on white strokes.
    ctx.fillStyle = `rgba(0, 0, 0, ${INK_DIMMING})`;
    ctx.fillRect(0, 0, size, size);
    const source = new OffscreenCanvas(map.width, map.height);
    source.getContext("2d")!.putImageData(new ImageData(heatPixels(map.values), map.width, map.height), 0, 0);
    // Smoothing interpolates between the map's pixels, as the model's coarse input is spread over the drawing.
    ctx.imageSmoothingEnabled = true;
    ctx.setTransform(placement.scaleX, 0, 0, placement.scaleY, placement.offsetX, placement.offsetY);
    ctx.drawImage(source, 0, 0);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }, [map, placement, size]);
  return (
    <canvas
      ref={ref}
      width={size}
      height={size}
      className="draw-surface saliency-overlay"
      data-testid="saliency-overlay"
      data-shown={map && placement ? "true" : "false"}
      role="img"
      aria-label={label}
    />
  );
}
