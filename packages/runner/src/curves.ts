import sharp from "sharp";
import { type CurveMetrics, curvesSvg } from "./curves-svg";

/* curves.png (seed 003): the SVG of curves-svg.ts rasterised by sharp (librsvg), no browser. */

export { type CurveMetrics, curvesSvg, niceTicks } from "./curves-svg";

/** The curves as PNG bytes. */
export async function curvesPng(metrics: CurveMetrics, title?: string): Promise<Buffer> {
  return sharp(Buffer.from(curvesSvg(metrics, title)))
    .png()
    .toBuffer();
}
