import { useEffect, useRef } from "react";
import { blendOverInput } from "./heatmap";

/**
 * A model input (`[C, H, W]` in [0, 1]) drawn pixel for pixel, with the heat
 * map blended over it when `values` is given: exactly what the model saw.
 */
export function SaliencyImage({
  input,
  width,
  height,
  values,
  scale,
  label,
  testId,
}: {
  input: ArrayLike<number>;
  width: number;
  height: number;
  values: Float32Array | null;
  scale: number;
  label: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const pixels = blendOverInput(input, values ?? new Float32Array(width * height));
    ctx.putImageData(new ImageData(pixels, width, height), 0, 0);
  }, [input, values, width, height]);
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      className="pixelated saliency-image"
      style={{ width: width * scale }}
      role="img"
      aria-label={label}
      data-testid={testId}
    />
  );
}
