import { type ReactNode, useEffect, useImperativeHandle, useRef, useState } from "react";

/** Side of the drawing surface in canvas pixels. */
export const DRAW_SIZE = 280;

/** Where `drawImage` puts a `w`×`h` image: scaled to fit the canvas and centred (canvas = d + image · scale). */
export function fitOnCanvas(w: number, h: number): { scale: number; dx: number; dy: number } {
  const scale = Math.min(DRAW_SIZE / w, DRAW_SIZE / h);
  return { scale, dx: (DRAW_SIZE - w * scale) / 2, dy: (DRAW_SIZE - h * scale) / 2 };
}

/** What a parent can ask of the canvas. */
export interface DrawCanvasHandle {
  clear(): void;
  /** Replaces the drawing with an image (e.g. an upload), fitted to the canvas. */
  drawImage(image: CanvasImageSource, width: number, height: number): void;
  /** The drawing as an opaque PNG (white ink on black), as the server's predict endpoint takes it. */
  toDataUrl(): string;
}

/** Ink in [0, 1] per pixel, read from the canvas's alpha. */
function readInk(canvas: HTMLCanvasElement): Float32Array {
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const ink = new Float32Array(canvas.width * canvas.height);
  for (let i = 0; i < ink.length; i++) {
    // Upload path paints opaque greyscale; drawing paints white strokes on transparent.
    const a = data[i * 4 + 3]! / 255;
    const grey = (data[i * 4]! + data[i * 4 + 1]! + data[i * 4 + 2]!) / (3 * 255);
    ink[i] = a * grey;
  }
  return ink;
}

/** A drawing surface for mouse, touch and pen (Pointer Events), with pen and eraser; reports ink on every stroke move. */
export function DrawCanvas(props: {
  onInk: (ink: Float32Array, size: number) => void;
  ref?: React.Ref<DrawCanvasHandle>;
  /** Laid over the drawing, the same size (e.g. a saliency heat map); it takes no pointer events. */
  overlay?: ReactNode;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tool, setTool] = useState<"pen" | "eraser">("pen");
  const [width, setWidth] = useState(22);
  // The stroke in progress: the one pointer drawing it (a second finger is ignored) and where it last was.
  const last = useRef<{ pointerId: number; x: number; y: number } | null>(null);
  const { onInk } = props;

  const emit = () => canvas.current && onInk(readInk(canvas.current), DRAW_SIZE);

  useImperativeHandle(props.ref, () => ({
    clear() {
      canvas.current?.getContext("2d")?.clearRect(0, 0, DRAW_SIZE, DRAW_SIZE);
      emit();
    },
    toDataUrl() {
      const out = document.createElement("canvas");
      out.width = DRAW_SIZE;
      out.height = DRAW_SIZE;
      const ctx = out.getContext("2d")!;
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, DRAW_SIZE, DRAW_SIZE);
      if (canvas.current) ctx.drawImage(canvas.current, 0, 0);
      return out.toDataURL("image/png");
    },
    drawImage(image, w, h) {
      const ctx = canvas.current?.getContext("2d");
      if (!ctx) return;
      ctx.clearRect(0, 0, DRAW_SIZE, DRAW_SIZE);
      const { scale, dx, dy } = fitOnCanvas(w, h);
      ctx.drawImage(image, dx, dy, w * scale, h * scale);
      emit();
    },
  }));

  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (ctx) {
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
    }
  }, []);

  const pos = (e: { clientX: number; clientY: number }, r: DOMRect) => ({
    x: ((e.clientX - r.left) * DRAW_SIZE) / r.width,
    y: ((e.clientY - r.top) * DRAW_SIZE) / r.height,
  });
  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }, pressure: number) => {
    const ctx = canvas.current?.getContext("2d");
    if (!ctx) return;
    ctx.globalCompositeOperation = tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = width * (pressure > 0 && pressure !== 0.5 ? 0.5 + pressure : 1);
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
  };

  return (
    <div className="draw">
      <div className="draw-stack">
        <canvas
          ref={canvas}
          width={DRAW_SIZE}
          height={DRAW_SIZE}
          className="draw-surface"
          data-testid="draw-canvas"
          aria-label="Drawing canvas: draw a digit or shape"
          onPointerDown={(e) => {
            if (last.current) return;
            // Capture keeps the stroke's moves coming when a finger or the mouse leaves the canvas mid-stroke.
            e.currentTarget.setPointerCapture(e.pointerId);
            const p = pos(e, e.currentTarget.getBoundingClientRect());
            last.current = { pointerId: e.pointerId, ...p };
            stroke(p, p, e.pressure);
            emit();
          }}
          onPointerMove={(e) => {
            const from = last.current;
            if (!from || from.pointerId !== e.pointerId) return;
            const r = e.currentTarget.getBoundingClientRect();
            // A fast finger or pen reports several positions per frame: draw through each of them.
            const points = e.nativeEvent.getCoalescedEvents?.() ?? [];
            let at: { x: number; y: number } = from;
            for (const point of points.length ? points : [e.nativeEvent]) {
              const p = pos(point, r);
              stroke(at, p, point.pressure);
              at = p;
            }
            last.current = { pointerId: e.pointerId, ...at };
            emit();
          }}
          onPointerUp={(e) => {
            if (last.current?.pointerId === e.pointerId) last.current = null;
          }}
          onPointerCancel={(e) => {
            if (last.current?.pointerId === e.pointerId) last.current = null;
          }}
        />
        {props.overlay}
      </div>
      <div className="toolbar">
        <button type="button" aria-pressed={tool === "pen"} onClick={() => setTool("pen")}>
          Pen
        </button>
        <button type="button" aria-pressed={tool === "eraser"} onClick={() => setTool("eraser")}>
          Eraser
        </button>
        <span className="labelled">
          <label htmlFor="stroke-width">Width</label>
          <input
            id="stroke-width"
            type="range"
            min={8}
            max={40}
            value={width}
            onChange={(e) => setWidth(Number(e.target.value))}
          />
        </span>
      </div>
    </div>
  );
}
