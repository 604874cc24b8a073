// ONNX parity: every layer kind and template is exported to model.onnx and run
// by onnxruntime-node (and, for a few models, onnxruntime-web's wasm backend in
// Node); its softmax output must match LayerLab's predict within 1e-4.
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import { beforeAll, describe, expect, it } from "vitest";
import { exportModel, ONNX_INPUT, ONNX_OUTPUT } from "../src";
import {
  type ExportCase,
  engineProbabilities,
  inputsFor,
  LAYER_CASES,
  maxAbsDiff,
  TEMPLATE_CASES,
  TOLERANCE,
  trainedModel,
} from "./support";

const CASES: ExportCase[] = [...LAYER_CASES, ...TEMPLATE_CASES];
const N = 5;

type Ort = typeof ortNode;
type Prepared = { onnx: Uint8Array; x: Float32Array; want: Float32Array };
const prepared = new Map<string, Prepared>();

beforeAll(async () => {
  ortWeb.env.wasm.numThreads = 1;
  for (const [i, c] of CASES.entries()) {
    const m = await trainedModel(c.spec, 11 + i);
    const x = inputsFor(c.spec, N, 101 + i);
    const onnx = exportModel({ spec: c.spec, weights: m.weights, format: "onnx" }).find(
      (f) => f.name === "model.onnx",
    )!;
    prepared.set(c.name, { onnx: onnx.bytes, x, want: await engineProbabilities(m, x, N) });
  }
}, 600_000);

async function run(ort: Ort, c: ExportCase): Promise<{ got: Float32Array; dims: readonly number[] }> {
  const { onnx, x } = prepared.get(c.name)!;
  const session = await ort.InferenceSession.create(onnx);
  try {
    const input = new ort.Tensor("float32", x, [N, ...c.spec.input.shape]);
    const out = (await session.run({ [ONNX_INPUT]: input }))[ONNX_OUTPUT]!;
    return { got: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.release();
  }
}

describe("ONNX export in onnxruntime-node agrees with LayerLab", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s: probabilities within 1e-4", async (_name, c) => {
    const { got, dims } = await run(ortNode, c);
    expect(dims).toEqual([N, c.spec.classes.length]);
    expect(maxAbsDiff(prepared.get(c.name)!.want, got)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("ONNX export in onnxruntime-web (wasm backend, in Node) agrees with LayerLab", () => {
  const WEB_CASES = ["dense-activations", "conv-same-even-kernel", "batch-norm-2d", "template-lenet-5-cifar"];
  it.each(WEB_CASES)("%s: probabilities within 1e-4", async (name) => {
    const c = CASES.find((x) => x.name === name)!;
    const { got, dims } = await run(ortWeb as unknown as Ort, c);
    expect(dims).toEqual([N, c.spec.classes.length]);
    expect(maxAbsDiff(prepared.get(name)!.want, got)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("the ONNX graph's interface", () => {
  it("has a named input with a symbolic batch dimension and a probabilities output", async () => {
    const c = CASES.find((x) => x.name === "template-cnn-mnist")!;
    const session = await ortNode.InferenceSession.create(prepared.get(c.name)!.onnx);
    try {
      expect(session.inputNames).toEqual([ONNX_INPUT]);
      expect(session.outputNames).toEqual([ONNX_OUTPUT]);
      const meta = session.inputMetadata[0]!;
      expect(meta.isTensor && meta.shape).toEqual(["batch", 1, 28, 28]);
      // A batch of one runs too: the batch dimension is not fixed to the test's N.
      const one = new ortNode.Tensor("float32", prepared.get(c.name)!.x.slice(0, 28 * 28), [1, 1, 28, 28]);
      const out = (await session.run({ [ONNX_INPUT]: one }))[ONNX_OUTPUT]!;
      const sum = Array.from(out.data as Float32Array).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
    } finally {
      await session.release();
    }
  });
});
