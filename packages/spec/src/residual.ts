import type { LayerStack } from "./builder";
import { MODEL_INPUT_ID } from "./model";

/** What a basic residual block makes of its input. */
export interface BasicBlockOptions {
  /** The id of the block's output (its last ReLU); the block's other layers take ids starting with it. */
  id: string;
  /** Channels of both convolutions. */
  filters: number;
  /** Stride of the first convolution: 2 halves the height and width. */
  stride: 1 | 2;
}

/**
 * Appends a basic residual block (He et al., "Deep Residual Learning for Image Recognition", 2015, fig. 2
 * left) to the stack's last output: conv 3×3 → batch norm → ReLU → conv 3×3 → batch norm, plus the block's
 * input, then a ReLU. When the block changes the channels or the size, the shortcut is a 1×1 convolution
 * with the block's stride and a batch norm (the paper's option B), so that the add gets equal shapes.
 * The block's input must be the model's input or a layer with an id. Returns false and adds nothing when
 * that input is not an image.
 */
export function basicBlock(s: LayerStack, { id, filters, stride }: BasicBlockOptions): boolean {
  const from = s.layers.length === 0 ? MODEL_INPUT_ID : s.layers.at(-1)!.id;
  if (from === undefined) throw new Error(`basicBlock ${id}: the layer before the block needs an id`);
  const inShape = s.shapeOf(from)!;
  if (inShape.length !== 3) return false;
  // No conv biases: the batch norm right after each convolution has its own shift.
  const conv = { kind: "conv2d", filters, kernel: 3, padding: "same", bias: false } as const;
  s.add({ ...conv, stride });
  s.add({ kind: "batchNorm" });
  s.add({ kind: "activation", fn: "relu" });
  s.add(conv);
  s.add({ kind: "batchNorm", id: `${id}_main` });
  let shortcut = from;
  if (stride !== 1 || inShape[0] !== filters) {
    s.add({ kind: "conv2d", inputs: [from], filters, kernel: 1, stride, bias: false });
    s.add({ kind: "batchNorm", id: `${id}_proj` });
    shortcut = `${id}_proj`;
  }
  if (!s.add({ kind: "add", inputs: [`${id}_main`, shortcut] })) {
    throw new Error(`basicBlock ${id}: the shortcut does not match the block's output`);
  }
  s.add({ kind: "activation", fn: "relu", id });
  return true;
}
