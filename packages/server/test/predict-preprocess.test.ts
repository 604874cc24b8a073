import { preprocessImage } from "@layerlab/data-core";
import { buildModel, initBackend, loadWeights, predict } from "@layerlab/engine";
import { encodeSafetensors, type HostTensor } from "@layerlab/engine/safetensors";
import { inferShapes, layerTensorShapes, parseSpec } from "@layerlab/export";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestServer, type TestServer } from "./helpers";
import { browserRun, putArtifact } from "./model-fixtures";

/*
 * The server's prediction path preprocesses with data-core's
 * `preprocessImage`: a model with weights that depend on every pixel gives
 * the server's answer only for exactly that module's input.
 */

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer();
  base = server.url;
});
afterAll(() => server?.close());

/** Seeded weights in ±0.1 for every tensor of `spec`: each pixel moves the answer. */
function seededWeights(specInput: unknown): Uint8Array<ArrayBuffer> {
  const spec = parseSpec(specInput);
  const shapes = inferShapes(spec);
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32 - 0.5) * 0.2;
  };
  const tensors: Record<string, HostTensor> = {};
  spec.layers.forEach((layer, i) => {
    for (const [suffix, shape] of layerTensorShapes(layer, shapes[i]!)) {
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next);
      if (suffix === "running_var") data.fill(1);
      tensors[`${i}.${suffix}`] = { dtype: "F32", shape, data };
    }
  });
  return new Uint8Array(encodeSafetensors(tensors, {}));
}

/** A white 60×80 PNG with a dark bar off-centre (or its negative). */
function barPng(negative: boolean): Promise<Buffer> {
  const [w, h] = [60, 80];
  const pixels = Buffer.alloc(w * h, negative ? 0 : 255);
  for (let y = 10; y < 50; y++)
    for (let x = 8 + (y >> 3); x < 16 + (y >> 3); x++) pixels[y * w + x] = negative ? 255 : 0;
  return sharp(pixels, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();
}

const NORMALIZATION = { mean: [0.3], std: [0.4] };

describe("the server predicts with the shared image preprocessing", () => {
  it("answers exactly what data-core's preprocessImage and the model give, for plain and MNIST-framed input", async () => {
    const { id, spec } = await browserRun(base);
    const weights = seededWeights(spec);
    expect((await putArtifact(base, id, "normalization.json", JSON.stringify(NORMALIZATION))).status).toBe(201);
    expect((await putArtifact(base, id, "weights.safetensors", weights)).status).toBe(201);

    await initBackend();
    const model = buildModel(spec as never);
    const vars = loadWeights(model, weights);
    const png = await barPng(false);
    const raw = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const decoded = {
      width: raw.info.width,
      height: raw.info.height,
      channels: raw.info.channels as 1,
      pixels: raw.data,
    };
    const seen: number[][] = [];
    for (const preprocess of ["resize", "mnist"] as const) {
      const x = preprocessImage(
        decoded,
        { shape: model.spec.input.shape, digits: preprocess === "mnist" },
        NORMALIZATION,
      );
      const expected = Array.from(await predict(model, vars, x, 1));
      const got = await api(base, "POST", `/api/runs/${id}/predict`, {
        image: `data:image/png;base64,${png.toString("base64")}`,
        preprocess,
      });
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      const probabilities = got.body.probabilities as number[];
      for (const [i, p] of probabilities.entries()) expect(p).toBeCloseTo(expected[i]!, 5);
      seen.push(probabilities);
    }
    // The weights make the input matter: framing changes the answer.
    expect(seen[0]!.some((p, i) => Math.abs(p - seen[1]![i]!) > 1e-3)).toBe(true);
    // A digit model reads dark ink on white as it reads light ink on black.
    const answers = await Promise.all(
      [false, true].map(async (negative) => {
        const image = `data:image/png;base64,${(await barPng(negative)).toString("base64")}`;
        return (await api(base, "POST", `/api/runs/${id}/predict`, { image, preprocess: "mnist" })).body
          .probabilities as number[];
      }),
    );
    for (const [i, p] of answers[1]!.entries()) expect(p).toBeCloseTo(answers[0]![i]!, 6);
  });
});
