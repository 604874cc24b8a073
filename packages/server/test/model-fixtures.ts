// Models whose predictions are known without running them, and browser runs
// to hold them: weights that are zero except the last layer's bias give every
// image the probabilities softmax(bias), whatever the preprocessing.
import { encodeSafetensors, type HostTensor } from "@layerlab/engine/safetensors";
import { inferShapes, layerTensorShapes, parseSpec } from "@layerlab/export";
import sharp from "sharp";
import { expect } from "vitest";
import { api, SMALL_RUN } from "./helpers";

/** Safetensors weights for `spec` that make its output `logits` for any input; `epoch` goes into the metadata. */
export function constantWeights(specInput: unknown, logits: number[], epoch?: number): Uint8Array<ArrayBuffer> {
  const spec = parseSpec(specInput);
  const shapes = inferShapes(spec);
  const last = spec.layers.length - 1;
  const tensors: Record<string, HostTensor> = {};
  spec.layers.forEach((layer, i) => {
    for (const [suffix, shape] of layerTensorShapes(layer, shapes[i]!)) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (suffix === "running_var") data.fill(1);
      if (i === last && suffix === "bias") data.set(logits);
      tensors[`${i}.${suffix}`] = { dtype: "F32", shape, data };
    }
  });
  return new Uint8Array(encodeSafetensors(tensors, epoch === undefined ? {} : { "layerlab.epoch": String(epoch) }));
}

/** Softmax in float64, to compare with the server's float32 answer. */
export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** A grey PNG of `size`×`size` pixels. */
export async function greyPng(size = 28, level = 128): Promise<string> {
  const png = await sharp({
    create: { width: size, height: size, channels: 3, background: { r: level, g: level, b: level } },
  })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}

/** A browser run of the small MLP on shapes; `finish` posts start, one epoch and done so that it has succeeded. */
export async function browserRun(
  base: string,
  opts: { finish?: boolean; testAccuracy?: number } = {},
): Promise<{ id: string; spec: unknown }> {
  const created = await api(base, "POST", "/api/runs", { ...SMALL_RUN, executor: "browser", ifExists: "new" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { id } = created.body;
  const spec = (await api(base, "GET", `/api/runs/${id}`)).body.spec;
  if (opts.finish !== false) {
    const events = finishedEvents(opts.testAccuracy ?? 0.9);
    const posted = await api(base, "POST", `/api/runs/${id}/events`, { events });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  }
  return { id, spec };
}

/** The events of a one-epoch browser run that ends with `testAccuracy`. */
export function finishedEvents(testAccuracy: number, testLoss = 0.4): Record<string, unknown>[] {
  return [
    {
      seq: 0,
      time: 1,
      type: "start",
      backend: "webgpu",
      epochs: 1,
      stepsPerEpoch: 1,
      trainSamples: 1,
      valSamples: 0,
      paramCount: 1,
    },
    {
      seq: 1,
      time: 2,
      type: "epoch",
      epoch: 1,
      trainLoss: 0.5,
      trainAccuracy: 0.8,
      valLoss: null,
      valAccuracy: null,
      learningRate: 0.001,
      seconds: 1,
      samplesPerSec: 5,
    },
    {
      seq: 2,
      time: 3,
      type: "done",
      epochs: 1,
      stoppedEarly: false,
      testLoss,
      testAccuracy,
      seconds: 1,
      artifacts: [],
    },
  ];
}

/** PUTs a browser run's artifact as raw bytes with the given content type. */
export async function putArtifact(
  base: string,
  id: string,
  name: string,
  body: Uint8Array<ArrayBuffer> | string,
  contentType = "application/octet-stream",
): Promise<{ status: number; body: { error?: string; name?: string; bytes?: number } }> {
  const res = await fetch(`${base}/api/runs/${id}/artifacts/${name}`, {
    method: "PUT",
    headers: { "content-type": contentType },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
