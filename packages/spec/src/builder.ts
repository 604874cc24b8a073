import { isMerge, mergeOutShape } from "./graph";
import { type Activation, Layer, type LayerInput, MODEL_INPUT_ID, type Shape } from "./model";
import { inferOutShape } from "./shapes";

/**
 * Appends layers while tracking the shape, so templates can adapt to inputs
 * they were not designed for: a convolution whose kernel does not fit falls
 * back to 'same' padding, a pooling whose window does not fit is left out,
 * and spatial layers are left out on 1-D inputs. Layers may carry `id` and
 * `inputs` (a residual block's shortcut): the shapes of named outputs are
 * tracked too.
 */
export class LayerStack {
  readonly layers: Layer[] = [];
  #shape: Shape;
  readonly #shapeById = new Map<string, Shape>();

  constructor(inputShape: Shape) {
    this.#shape = inputShape;
    this.#shapeById.set(MODEL_INPUT_ID, inputShape);
  }

  /** The shape after the layers so far. */
  get shape(): Shape {
    return this.#shape;
  }

  /** The output shape of the layer with this id (or of the model's input), if it was added. */
  shapeOf(id: string): Shape | undefined {
    return this.#shapeById.get(id);
  }

  /** Appends `layer` if it fits its input (the current shape, or the outputs it names); returns whether it did. */
  add(input: LayerInput): boolean {
    const layer = Layer.parse(input);
    const inShapes = (layer.inputs ?? [null]).map((id) => {
      if (id === null) return this.#shape;
      const shape = this.#shapeById.get(id);
      // A template naming a layer it did not add is a bug in the template, not a dataset that does not fit.
      if (shape === undefined) throw new Error(`LayerStack: no layer '${id}' to take as an input`);
      return shape;
    });
    const out = isMerge(layer)
      ? mergeOutShape(layer.kind as "add" | "concat", inShapes)
      : inferOutShape(layer, inShapes[0]!);
    if (out === null) return false;
    this.layers.push(layer);
    this.#shape = out;
    if (layer.id !== undefined) this.#shapeById.set(layer.id, out);
    return true;
  }

  /** A convolution, with 'same' padding when 'valid' would not fit; false when the input is not an image. */
  conv(
    filters: number,
    kernel: number,
    options: { padding?: "valid" | "same"; activation?: Activation; bias?: boolean } = {},
  ): boolean {
    const layer = { kind: "conv2d", filters, kernel, ...options } as const;
    return this.add(layer) || this.add({ ...layer, padding: "same" });
  }

  /** A max or average pooling, left out when the image is smaller than the window. */
  pool(kind: "maxPool2d" | "avgPool2d", size = 2): boolean {
    return this.add({ kind, size });
  }

  /** A flatten, left out when the tensor is already 1-D. */
  flatten(): void {
    if (this.#shape.length > 1) this.add({ kind: "flatten" });
  }

  /** A dense layer (after a flatten when the tensor is not 1-D yet). */
  dense(units: number, activation?: Activation): void {
    this.flatten();
    this.add(activation === undefined ? { kind: "dense", units } : { kind: "dense", units, activation });
  }

  /** Whether the current tensor is an image ([C,H,W]). */
  get isImage(): boolean {
    return this.#shape.length === 3;
  }
}
