import { analyzeSpec, configFingerprint, layerGraph, MODEL_FORMAT, ModelSpec, TrainingConfig } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATASET } from "../src/data/datasets";
import { setupFromUrl, shareLink } from "../src/state/share";
import type { Studio } from "../src/state/studio";

/*
 * Share links and graph models: a graph spec survives the link, and a link made before graphs (its spec
 * says "layerlab.model/1") still opens, read as today's format.
 */

const CLASSES = ["circle", "square", "triangle"];
const BASE = "http://127.0.0.1:5173/#/build";

/** A residual CNN for the default 28×28 shapes: the block's shortcut skips two convolutions. */
const RESIDUAL: Studio["spec"] = {
  format: MODEL_FORMAT,
  name: "residual",
  input: { shape: [1, 28, 28] },
  layers: [
    { kind: "conv2d", id: "stem", filters: 8, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm" },
    { kind: "activation", fn: "relu", id: "s1" },
    { kind: "conv2d", filters: 8, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm" },
    { kind: "activation", fn: "relu" },
    { kind: "conv2d", filters: 8, kernel: 3, padding: "same", bias: false },
    { kind: "batchNorm", id: "b1" },
    { kind: "add", inputs: ["b1", "s1"] },
    { kind: "activation", fn: "relu" },
    { kind: "globalAvgPool" },
    { kind: "dense", units: 3 },
  ],
  classes: CLASSES,
};

/** The token exactly as the studio wrote it before graphs: base64url of the UTF-8 JSON, no padding. */
function oldToken(setup: unknown): string {
  return Buffer.from(JSON.stringify(setup), "utf8").toString("base64url");
}

describe("share links with graph models", () => {
  it("round-trips a residual graph: ids, inputs and the add come back as they went", () => {
    const studio: Studio = { spec: RESIDUAL, config: TrainingConfig.parse({ epochs: 2 }), dataset: DEFAULT_DATASET };
    const back = setupFromUrl(shareLink(BASE, studio));
    expect(back).toEqual({ ok: true, studio });
    if (!back?.ok) throw new Error("unreachable");
    const analysis = analyzeSpec(back.studio.spec);
    expect(analysis.ok).toBe(true);
    const graph = layerGraph(ModelSpec.parse(back.studio.spec).layers);
    expect(graph.sources[8]).toEqual([7, 2]);
    expect(configFingerprint(back.studio.spec, back.studio.config)).toBe(configFingerprint(RESIDUAL, studio.config));
  });

  it("opens a link made before graphs: its /1 spec is read as /2 and trains the same model", () => {
    const oldSpec = {
      format: "layerlab.model/1",
      name: "MLP from an old link",
      input: { shape: [1, 28, 28] },
      layers: [
        { kind: "flatten" },
        { kind: "dense", units: 64, bias: true, activation: "relu" },
        { kind: "dense", units: 3, bias: true },
      ],
      classes: CLASSES,
    };
    const oldConfig = { optimizer: { name: "adam" }, learningRate: 0.001, batchSize: 32, epochs: 3, seed: 7 };
    const token = oldToken({ v: 1, spec: oldSpec, config: oldConfig, dataset: DEFAULT_DATASET });
    const back = setupFromUrl(`http://127.0.0.1:5173/?setup=${token}#/build`);
    expect(back?.ok).toBe(true);
    if (!back?.ok) throw new Error(back?.error);
    expect(back.studio.spec).toEqual({ ...oldSpec, format: "layerlab.model/2" });
    expect(back.studio.config).toEqual(oldConfig);
    expect(back.studio.dataset).toEqual(DEFAULT_DATASET);
    const analysis = analyzeSpec(back.studio.spec);
    expect(analysis.problems).toEqual([]);
    expect(analysis.totals.params).toBe(784 * 64 + 64 + 64 * 3 + 3);
    // The duplicate check still finds the runs trained from the old link.
    expect(configFingerprint(back.studio.spec, back.studio.config)).toBe(
      configFingerprint(oldSpec as never, oldConfig),
    );
  });

  it("leaves a spec it cannot read as it is, for the builder to show what is wrong", () => {
    const odd = { format: "layerlab.model/9", input: { shape: [1, 28, 28] }, layers: [], classes: CLASSES };
    const token = oldToken({ v: 1, spec: odd, config: {}, dataset: DEFAULT_DATASET });
    const back = setupFromUrl(`http://127.0.0.1:5173/?setup=${token}#/build`);
    expect(back).toEqual({ ok: true, studio: { spec: odd, config: {}, dataset: DEFAULT_DATASET } });
    expect(analyzeSpec(odd).problems[0]?.field).toBe("format");
  });
});
