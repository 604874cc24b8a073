import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CIFAR10_CLASSES } from "@layerlab/data-node";
import { loadRunModel } from "@layerlab/runner";
import { analyzeSpec, buildTemplate, MODEL_FORMAT, ModelSpec, type TrainEvent } from "@layerlab/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCifar10Files } from "../../data-node/test/cifar-files";

// `layerlab train my-resnet.json cifar10`: a graph model from a spec file, on CIFAR-10's binary files.
// The files are generated (5 × 4 training images, 4 test images), so the run is a few steps long.
const BIN = resolve(__dirname, "../bin/layerlab.js");
const work = mkdtempSync(join(tmpdir(), "layerlab-cli-resnet-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const RESNET_20_PARAMS = 272_474;
const spec = buildTemplate("resnet-20", { inputShape: [3, 32, 32], classes: [...CIFAR10_CLASSES] });

beforeAll(async () => {
  await writeCifar10Files(join(work, "data"), { perTrainFile: 4, testCount: 4 });
  writeFileSync(join(work, "my-resnet.json"), JSON.stringify(spec, null, 2));
});

describe("layerlab train my-resnet.json cifar10", () => {
  it("trains ResNet-20 from its spec file into a run folder whose spec.json is /2 and loads", {
    timeout: 240_000,
  }, async () => {
    const args = ["train", "my-resnet.json", "cifar10", "--data-dir", "data", "--epochs", "1", "--batch-size", "8"];
    const output = ["--val-split", "0", "--log-every", "1", "--save-dir", "runs/resnet", "--json"];
    const r = spawnSync(process.execPath, [BIN, ...args, ...output], { cwd: work, encoding: "utf8", timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as TrainEvent);
    const start = events.find((e) => e.type === "start");
    // 20 images in batches of 8: the last, partial batch is left out of the epoch.
    expect(start).toMatchObject({ paramCount: RESNET_20_PARAMS, trainSamples: 20, stepsPerEpoch: 2 });
    const losses = events.flatMap((e) => (e.type === "batch" ? [e.loss] : []));
    expect(losses).toHaveLength(2);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    expect(events.at(-1)?.type).toBe("done");

    const dir = join(work, "runs/resnet");
    const written: unknown = JSON.parse(readFileSync(join(dir, "spec.json"), "utf8"));
    expect(written).toMatchObject({ format: MODEL_FORMAT, layers: spec.layers });
    const analysis = analyzeSpec(ModelSpec.parse(written));
    expect(analysis.problems).toEqual([]);
    expect(analysis.totals.params).toBe(RESNET_20_PARAMS);

    const loaded = await loadRunModel(dir);
    try {
      expect(loaded.model.shapes.at(-1)).toEqual([10]);
      // Every convolution of the 19 3×3 ones and the 2 projections has its trained weights.
      const convWeights = spec.layers.flatMap((l, i) => (l.kind === "conv2d" ? [`${i}.weight`] : []));
      expect(convWeights).toHaveLength(21);
      for (const name of convWeights) expect(Object.keys(loaded.vars.params)).toContain(name);
    } finally {
      loaded.dispose();
    }
  });
});
