let context: CanvasRenderingContext2D | null = null;

/** The width in CSS pixels that `text` takes in `font` (a CSS font shorthand), measured on an offscreen canvas. */
export function textWidth(text: string, font: string): number {
  context ??= document.createElement("canvas").getContext("2d");
  if (!context) return text.length * 8;
  context.font = font;
  return context.measureText(text).width;
}

/** The page's font family, so measured text matches the SVG text that inherits it. */
export function pageFontFamily(): string {
  return getComputedStyle(document.body).fontFamily || "sans-serif";
}
