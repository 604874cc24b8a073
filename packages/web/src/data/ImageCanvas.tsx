import { useEffect, useRef } from "react";

/** Draws RGB (HWC) pixels, or one channels-first image, onto a pixelated canvas. */
export function ImageCanvas(props: {
  width: number;
  height: number;
  rgb: Uint8Array;
  scale?: number;
  label?: string;
  className?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(props.width, props.height);
    for (let i = 0; i < props.width * props.height; i++) {
      img.data[i * 4] = props.rgb[i * 3]!;
      img.data[i * 4 + 1] = props.rgb[i * 3 + 1]!;
      img.data[i * 4 + 2] = props.rgb[i * 3 + 2]!;
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [props.rgb, props.width, props.height]);
  const scale = props.scale ?? 2;
  return (
    <canvas
      ref={ref}
      width={props.width}
      height={props.height}
      className={`pixelated ${props.className ?? ""}`}
      style={{ width: props.width * scale, maxWidth: "100%" }}
      role="img"
      aria-label={props.label ?? "image"}
    />
  );
}

/** One channels-first uint8 image (`[C,H,W]`, C = 1 or 3) as interleaved RGB. */
export function toRgb(
  images: Uint8Array | Float32Array,
  index: number,
  shape: readonly number[],
  scale = 1,
): Uint8Array {
  const [c = 1, h = 1, w = 1] = shape;
  const plane = h * w;
  const base = index * c * plane;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      const v = images[base + (c === 3 ? k : 0) * plane + p]! * scale;
      out[p * 3 + k] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return out;
}
