import { type ActivationName, GRAPH_INPUT, normalizeActivation, poolStride, samePadding } from "@layerlab/spec";
import { type FloatTensor, type ModelView, modelGraph } from "./model-view";
import { ProtoWriter } from "./protobuf";

/*
 * ONNX export: the model as an ONNX graph written with a hand-rolled protobuf
 * encoder (field numbers from onnx/onnx.proto). Opset 17, IR version 8: every
 * op used has had its current semantics since opset 13, GELU is written in its
 * exact erf form (the Gelu op only exists from opset 20), and both
 * onnxruntime-node and onnxruntime-web run it. Layers are walked in the
 * spec's (topological) order, each reading the outputs its spec layer names:
 * an add becomes Add nodes, a concat one Concat along the channels/features.
 */

/** The default-domain opset the exported graphs use. */
export const ONNX_OPSET = 17;
const IR_VERSION = 8;
/** Graph input: normalised images `[batch, C, H, W]` (or features `[batch, F]`). */
export const ONNX_INPUT = "input";
/** Graph output: softmax probabilities `[batch, classes]`. */
export const ONNX_OUTPUT = "probabilities";

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

type Attribute = { name: string } & ({ f: number } | { i: number } | { ints: number[] });

function attributeProto(a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ("f" in a) return w.float(2, a.f).int(20, ATTR.FLOAT);
  if ("i" in a) return w.int(3, a.i).int(20, ATTR.INT);
  for (const v of a.ints) w.int(8, v);
  return w.int(20, ATTR.INTS);
}

function tensorProto(name: string, t: FloatTensor): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.shape) w.int(1, d);
  w.int(2, FLOAT).string(8, name);
  // raw_data is little-endian, as typed arrays are on every platform LayerLab runs on.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** A tensor ValueInfo; string dims are symbolic (`batch`). */
function valueInfo(name: string, dims: (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(1, typeof d === "number" ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Collects nodes and initializers while the layers are walked. */
class GraphBuilder {
  nodes: ProtoWriter[] = [];
  initializers: ProtoWriter[] = [];
  private count = 0;

  node(op: string, inputs: string[], attributes: Attribute[] = [], output?: string): string {
    const out = output ?? `${op.toLowerCase()}_${this.count}`;
    const w = new ProtoWriter();
    for (const i of inputs) w.string(1, i);
    w.string(2, out)
      .string(3, `${op}_${this.count++}`)
      .string(4, op);
    for (const a of attributes) w.message(5, attributeProto(a));
    this.nodes.push(w);
    return out;
  }

  constant(name: string, t: FloatTensor): string {
    this.initializers.push(tensorProto(name, t));
    return name;
  }
}

function scalar(value: number): FloatTensor {
  return { shape: [], data: Float32Array.of(value) };
}

/** Appends an activation's nodes after `x`; returns the output name. */
function activation(g: GraphBuilder, x: string, fn: ActivationName, alpha: number | undefined): string {
  switch (fn) {
    case "relu":
      return g.node("Relu", [x]);
    case "leakyRelu":
      return g.node("LeakyRelu", [x], [{ name: "alpha", f: alpha ?? 0.01 }]);
    case "elu":
      return g.node("Elu", [x], [{ name: "alpha", f: alpha ?? 1 }]);
    case "sigmoid":
      return g.node("Sigmoid", [x]);
    case "tanh":
      return g.node("Tanh", [x]);
    case "gelu": {
      // NOTE: exact GELU, 0.5·x·(1 + erf(x/√2)), as PyTorch's nn.GELU() and the engine compute it.
      const erf = g.node("Erf", [g.node("Mul", [x, "gelu_inv_sqrt2"])]);
      const onePlus = g.node("Add", [erf, "gelu_one"]);
      return g.node("Mul", [g.node("Mul", [x, onePlus]), "gelu_half"]);
    }
  }
}

/** Encodes the model as an ONNX file (input `input`, output `probabilities`, softmax included). */
export function encodeOnnx(view: ModelView): Uint8Array {
  const { spec, shapes } = view;
  const { sources } = modelGraph(spec);
  const tensors = new Map(view.tensors);
  const g = new GraphBuilder();
  const param = (name: string) => g.constant(name, tensors.get(name)!);
  if (spec.layers.some((l) => activationOf(l)?.fn === "gelu")) {
    g.constant("gelu_inv_sqrt2", scalar(Math.SQRT1_2));
    g.constant("gelu_one", scalar(1));
    g.constant("gelu_half", scalar(0.5));
  }
  /** `outputs[i]`: the name of layer i's output value. */
  const outputs: string[] = [];
  spec.layers.forEach((layer, i) => {
    const inShape = shapes[i]!;
    const ins = sources[i]!.map((s) => (s === GRAPH_INPUT ? ONNX_INPUT : outputs[s]!));
    let x = ins[0]!;
    switch (layer.kind) {
      case "dense": {
        const inputs = [x, param(`${i}.weight`)];
        if (layer.bias) inputs.push(param(`${i}.bias`));
        x = g.node("Gemm", inputs, [{ name: "transB", i: 1 }]); // [N, in] · [out, in]ᵀ + [out]
        break;
      }
      case "conv2d": {
        const [top, bottom] = layer.padding === "same" ? samePadding(inShape[1]!, layer.kernel, layer.stride) : [0, 0];
        const [left, right] = layer.padding === "same" ? samePadding(inShape[2]!, layer.kernel, layer.stride) : [0, 0];
        const inputs = [x, param(`${i}.weight`)];
        if (layer.bias) inputs.push(param(`${i}.bias`));
        x = g.node("Conv", inputs, [
          { name: "kernel_shape", ints: [layer.kernel, layer.kernel] },
          { name: "strides", ints: [layer.stride, layer.stride] },
          { name: "pads", ints: [top, left, bottom, right] }, // TF-style 'same': the extra pixel after
        ]);
        break;
      }
      case "maxPool2d":
      case "avgPool2d": {
        const stride = poolStride(layer);
        x = g.node(
          layer.kind === "maxPool2d" ? "MaxPool" : "AveragePool",
          [x],
          [
            { name: "kernel_shape", ints: [layer.size, layer.size] },
            { name: "strides", ints: [stride, stride] },
          ],
        );
        break;
      }
      case "globalAvgPool":
        x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], [{ name: "axis", i: 1 }]); // [N, C, 1, 1] → [N, C]
        break;
      case "batchNorm":
        x = g.node(
          "BatchNormalization",
          [x, param(`${i}.weight`), param(`${i}.bias`), param(`${i}.running_mean`), param(`${i}.running_var`)],
          [{ name: "epsilon", f: layer.epsilon }],
        );
        break;
      case "dropout":
        x = g.node("Identity", [x]); // inference: dropout is the identity
        break;
      case "flatten":
        x = g.node("Flatten", [x], [{ name: "axis", i: 1 }]); // [N, C, H, W] → [N, C·H·W], C·H·W order
        break;
      case "activation":
        break;
      case "add":
        // ONNX's Add takes two inputs (Sum takes more, but Add is what readers of the graph expect).
        x = ins.slice(1).reduce((sum, y) => g.node("Add", [sum, y]), x);
        break;
      case "concat":
        x = g.node("Concat", ins, [{ name: "axis", i: 1 }]); // [N, C₁+C₂+…, H, W] or [N, F₁+F₂+…]
        break;
    }
    const act = activationOf(layer);
    if (act) x = activation(g, x, act.fn, act.alpha);
    outputs.push(x);
  });
  g.node("Softmax", [outputs[outputs.length - 1] ?? ONNX_INPUT], [{ name: "axis", i: -1 }], ONNX_OUTPUT);

  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, sanitizeGraphName(spec.name ?? "layerlab_model"));
  for (const t of g.initializers) graph.message(5, t);
  graph.message(11, valueInfo(ONNX_INPUT, ["batch", ...spec.input.shape]));
  graph.message(12, valueInfo(ONNX_OUTPUT, ["batch", spec.classes.length]));

  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, "LayerLab")
    .string(3, "0.1.0")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").int(2, ONNX_OPSET));
  model.string(6, "Softmax probabilities of a LayerLab model; the input is normalised as `normalization` says.");
  const metadata: Record<string, string> = { classes: JSON.stringify(spec.classes), spec: JSON.stringify(spec) };
  if (view.normalization) metadata.normalization = JSON.stringify(view.normalization);
  for (const [key, value] of Object.entries(metadata)) {
    model.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return model.finish();
}

/** The activation a layer applies at its output (fused or as an activation layer), alpha filled in. */
function activationOf(layer: ModelView["spec"]["layers"][number]): { fn: ActivationName; alpha?: number } | null {
  if (layer.kind === "activation") {
    return normalizeActivation(layer.alpha === undefined ? layer.fn : { fn: layer.fn, alpha: layer.alpha });
  }
  if ((layer.kind === "dense" || layer.kind === "conv2d") && layer.activation !== undefined) {
    return normalizeActivation(layer.activation);
  }
  return null;
}

function sanitizeGraphName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_") || "layerlab_model";
}
