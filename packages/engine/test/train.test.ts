import { TrainEvent, type TrainEventOf } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { createEvaluator, evaluate } from "../src/evaluate";
import { disposeVars, loadWeights, saveWeights } from "../src/io/checkpoint";
import { train } from "../src/train";
import { mnistSubset, randomDataset } from "./helpers/data";
import { trackLiveBuffers } from "./helpers/live-buffers";

const classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const mlp = (hidden = 64) => ({
  input: { shape: [1, 28, 28] },
  layers: [{ kind: "flatten" }, { kind: "dense", units: hidden, activation: "relu" }, { kind: "dense", units: 10 }],
  classes,
});
const smallCnn = {
  input: { shape: [1, 28, 28] },
  layers: [
    { kind: "conv2d", filters: 8, kernel: 3, stride: 2, activation: "relu" },
    { kind: "batchNorm" },
    { kind: "maxPool2d", size: 2 },
    { kind: "flatten" },
    { kind: "dropout", rate: 0.2 },
    { kind: "dense", units: 10 },
  ],
  classes,
};

async function collect(run: AsyncIterable<TrainEvent>, onEvent?: (e: TrainEvent) => void): Promise<TrainEvent[]> {
  const events: TrainEvent[] = [];
  for await (const e of run) {
    events.push(e);
    onEvent?.(e);
  }
  return events;
}

function only<T extends TrainEvent["type"]>(events: TrainEvent[], type: T): TrainEventOf<T>[] {
  return events.filter((e) => e.type === type) as TrainEventOf<T>[];
}

describe("train", () => {
  it("overfits 64 MNIST samples to 100% training accuracy (MLP)", async () => {
    const dataset = await mnistSubset(64, 16);
    const run = train({
      spec: mlp(),
      config: { optimizer: "adam", learningRate: 3e-3, batchSize: 16, epochs: 40, validationSplit: 0, seed: 3 },
      dataset,
    });
    const events = await collect(run);
    expect(events.at(-1)?.type).toBe("done");
    const vars = run.currentVars();
    const result = await evaluate(run.model, vars, dataset.train, { normalization: run.normalization });
    disposeVars(vars);
    run.dispose();
    expect(result.accuracy).toBe(1);
    expect(result.count).toBe(64);
  });

  it("overfits 64 samples with conv, batch norm and dropout (train/eval paths, PRNG keys, running stats)", async () => {
    const dataset = await mnistSubset(64, 16);
    const run = train({
      spec: smallCnn,
      config: { optimizer: "adam", learningRate: 1e-2, batchSize: 16, epochs: 40, validationSplit: 0, seed: 5 },
      dataset,
    });
    const events = await collect(run);
    expect(events.at(-1)?.type).toBe("done");
    const vars = run.currentVars();
    const bnVar = await vars.state["1.running_var"]!.ref.data();
    expect(Math.max(...bnVar)).not.toBe(1); // the running statistics moved
    const result = await evaluate(run.model, vars, dataset.train, { normalization: run.normalization });
    disposeVars(vars);
    run.dispose();
    expect(result.accuracy).toBe(1);
  });

  it("emits well-formed events: schema-valid, sequenced, one epoch event per epoch, done last", async () => {
    const dataset = await mnistSubset(512, 128);
    const run = train({
      spec: mlp(),
      config: { batchSize: 32, epochs: 2, validationSplit: 0.25, seed: 1 },
      dataset,
      logEvery: 4,
    });
    const events = await collect(run);
    run.dispose();
    for (const e of events) expect(TrainEvent.safeParse(e).success).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    const start = only(events, "start")[0]!;
    // Stratified: each class gives a rounded quarter of its images to validation.
    expect(start.trainSamples + start.valSamples).toBe(512);
    expect(Math.abs(start.valSamples - 128)).toBeLessThanOrEqual(5);
    expect(start).toMatchObject({ backend: "wasm", stepsPerEpoch: Math.floor(start.trainSamples / 32) });
    expect(start.paramCount).toBe(784 * 64 + 64 + 64 * 10 + 10);
    const epochs = only(events, "epoch");
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of epochs) {
      expect(e.valAccuracy).toBeGreaterThan(0.5);
      expect(e.trainLoss).toBeGreaterThan(0);
      // The hidden ReLU layer's dead units, measured on held-out images at every epoch.
      expect(e.deadUnits).toHaveLength(1);
      expect(e.deadUnits![0]!.fraction).toBeGreaterThanOrEqual(0);
      expect(e.deadUnits![0]!.fraction).toBeLessThan(0.5);
    }
    const steps = start.stepsPerEpoch;
    const logged = (epoch: number) =>
      [...Array.from({ length: Math.floor(steps / 4) }, (_, i) => 4 * (i + 1)), ...(steps % 4 ? [steps] : [])].map(
        (s) => epoch * steps + s,
      );
    expect(only(events, "batch").map((b) => b.step)).toEqual([...logged(0), ...logged(1)]);
    const done = events.at(-1) as TrainEventOf<"done">;
    expect(done.type).toBe("done");
    expect(done.testAccuracy).toBeGreaterThan(0.5);
    expect(run.test?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(128);
  });

  it("keeps the number of live device arrays flat over 200 training steps", async () => {
    const count = await trackLiveBuffers();
    const dataset = randomDataset([1, 28, 28], 10, 64 * 25, 7);
    const run = train({
      spec: smallCnn,
      config: { batchSize: 64, epochs: 8, validationSplit: 0, seed: 2 },
      dataset,
      logEvery: 5,
      evaluateTest: false,
    });
    const live: number[] = [];
    await collect(run, (e) => {
      if (e.type === "batch") live.push(count());
    });
    expect(live.length).toBe(40); // 8 epochs × 25 steps / 5
    const settled = live.slice(5);
    expect(Math.max(...settled)).toBe(Math.min(...settled));
    run.dispose();
  });

  it("aborts within one batch of the signal and says so", async () => {
    const dataset = await mnistSubset(1024, 16);
    const controller = new AbortController();
    const run = train({
      spec: mlp(),
      config: { batchSize: 16, epochs: 3, validationSplit: 0 },
      dataset,
      logEvery: 1,
      signal: controller.signal,
    });
    let abortedAt = 0;
    const events = await collect(run, (e) => {
      if (e.type === "batch" && e.step === 5) {
        controller.abort();
        abortedAt = e.step;
      }
    });
    run.dispose();
    const last = events.at(-1) as TrainEventOf<"aborted">;
    expect(last.type).toBe("aborted");
    expect(last.step).toBe(abortedAt);
    expect(only(events, "epoch")).toHaveLength(0);
  });

  it("stops its final test evaluation when aborted, as it stops training, and says so", async () => {
    // A test split of 600 images: three evaluation batches, the abort lands before the first.
    const dataset = await mnistSubset(64, 600);
    const controller = new AbortController();
    const run = train({
      spec: mlp(),
      config: { batchSize: 16, epochs: 2, validationSplit: 0 },
      dataset,
      signal: controller.signal,
    });
    const events = await collect(run, (e) => {
      if (e.type === "epoch" && e.epoch === 2) controller.abort();
    });
    const last = events.at(-1) as TrainEventOf<"aborted">;
    expect(last.type).toBe("aborted");
    // Both epochs were trained and saved: a resume has only the evaluation left.
    expect(last.epoch).toBe(2);
    expect(only(events, "epoch")).toHaveLength(2);
    expect(only(events, "done")).toHaveLength(0);
    expect(run.test).toBeNull();
    run.dispose();
  });

  it("ends a run whose loss becomes NaN/Inf with a diverged event that says what to try", async () => {
    const dataset = await mnistSubset(512, 16);
    // Two linear layers under a huge step: the weights feed each other's gradients and overflow.
    const deepLinear = {
      ...mlp(),
      layers: [{ kind: "flatten" }, { kind: "dense", units: 256 }, { kind: "dense", units: 10 }],
    };
    const run = train({
      spec: deepLinear,
      config: {
        optimizer: { name: "sgd", momentum: 0.9 },
        learningRate: 10,
        batchSize: 32,
        epochs: 5,
        validationSplit: 0,
      },
      dataset,
      logEvery: 2,
    });
    const events = await collect(run);
    run.dispose();
    const last = events.at(-1) as TrainEventOf<"diverged">;
    expect(last.type).toBe("diverged");
    expect(last.message).toMatch(/lower learning rate/);
    expect(only(events, "done")).toHaveLength(0);
  });

  it("stops early when validation stops improving", async () => {
    const dataset = await mnistSubset(256, 16);
    const run = train({
      spec: mlp(),
      config: {
        batchSize: 32,
        epochs: 10,
        validationSplit: 0.25,
        earlyStopping: { metric: "val_loss", patience: 1, minDelta: 100 },
      },
      dataset,
    });
    const events = await collect(run);
    expect(only(events, "epoch")).toHaveLength(2);
    const done = events.at(-1) as TrainEventOf<"done">;
    expect(done.stoppedEarly).toBe(true);
    expect(await run.bestWeights()).not.toBeNull();
    run.dispose();
  });

  it("round-trips weights bit-exactly", async () => {
    const dataset = await mnistSubset(256, 64);
    const first = train({ spec: mlp(), config: { batchSize: 32, epochs: 1, validationSplit: 0, seed: 9 }, dataset });
    await collect(first);
    const bytes = await first.lastWeights();
    const reloaded = loadWeights(first.model, bytes);
    const vars = first.currentVars();
    const evaluator = createEvaluator(first.model);
    const x = new Float32Array(4 * 784).map((_, i) => Math.cos(i));
    const a = await evaluator.probabilities(vars, x, 4);
    const b = await evaluator.probabilities(reloaded, x, 4);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    expect(Buffer.from(await saveWeights(reloaded)).equals(Buffer.from(bytes))).toBe(true);
    evaluator.dispose();
    disposeVars(vars);
    disposeVars(reloaded);
    first.dispose();
  });

  it("resumes from a checkpoint (weights + optimizer state) to exactly the weights of an uninterrupted run", async () => {
    const dataset = await mnistSubset(256, 64);
    const config = { batchSize: 32, epochs: 2, validationSplit: 0, seed: 9 };
    const whole = train({ spec: smallCnn, config, dataset });
    await collect(whole);
    const expected = await whole.lastWeights();
    whole.dispose();

    const first = train({ spec: smallCnn, config: { ...config, epochs: 1 }, dataset });
    await collect(first);
    const weights = await first.lastWeights();
    const optState = await first.optimizerState();
    const model = first.model;
    first.dispose();

    const resumed = train({
      spec: smallCnn,
      config,
      dataset,
      resume: { vars: loadWeights(model, weights), optState, epochsDone: 1 },
    });
    const events = await collect(resumed);
    expect(only(events, "start")[0]!.resumedFromEpoch).toBe(1);
    expect(only(events, "epoch").map((e) => e.epoch)).toEqual([2]);
    expect(events.at(-1)?.type).toBe("done");
    const got = await resumed.lastWeights();
    resumed.dispose();
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
  });

  it("refuses optimizer state that does not fit the run", async () => {
    const dataset = await mnistSubset(64, 16);
    const sgdRun = train({ spec: mlp(), config: { optimizer: "sgd", epochs: 1, validationSplit: 0 }, dataset });
    await collect(sgdRun);
    const weights = await sgdRun.lastWeights();
    const optState = await sgdRun.optimizerState();
    const model = sgdRun.model;
    sgdRun.dispose();
    const adamRun = train({
      spec: mlp(),
      config: { optimizer: "adam", epochs: 2, validationSplit: 0 },
      dataset,
      resume: { vars: loadWeights(model, weights), optState, epochsDone: 1 },
    });
    const events = await collect(adamRun);
    adamRun.dispose();
    const last = events.at(-1) as TrainEventOf<"error">;
    expect(last.type).toBe("error");
    expect(last.message).toMatch(/state file lacks/);
  });

  it("applies the config's augmentation, reproducibly under a seed", async () => {
    const dataset = await mnistSubset(128, 16);
    const weightsOf = async (augmentation: object) => {
      const run = train({
        spec: mlp(),
        config: { batchSize: 32, epochs: 1, validationSplit: 0, seed: 6, augmentation },
        dataset,
        evaluateTest: false,
      });
      const events = await collect(run);
      const bytes = await run.lastWeights();
      run.dispose();
      return { bytes: Buffer.from(bytes), events };
    };
    const plain = await weightsOf({});
    const a = await weightsOf({ shift: 0.1, rotation: 10, horizontalFlip: true });
    const b = await weightsOf({ shift: 0.1, rotation: 10, horizontalFlip: true });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(plain.bytes)).toBe(false);
    const warning = only(a.events, "log").find((e) => e.level === "warn");
    expect(warning?.message).toMatch(/Horizontal flips are off/);
  });

  it("refuses a dataset the model does not fit, naming the fix", () => {
    const dataset = randomDataset([3, 32, 32], 10, 64);
    expect(() => train({ spec: mlp(), config: {}, dataset })).toThrow(/expects 1×28×28 inputs .* has 3×32×32/);
  });
});

describe("gradient statistics", () => {
  it("follows each batch event with one gradients event: every layer with parameters, finite, schema-valid", async () => {
    const dataset = await mnistSubset(256, 16);
    const run = train({
      spec: mlp(),
      config: { batchSize: 32, epochs: 1, validationSplit: 0, seed: 4 },
      dataset,
      logEvery: 2,
    });
    const events = await collect(run);
    run.dispose();
    for (const e of events) expect(TrainEvent.safeParse(e).success).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    const batches = only(events, "batch");
    const gradients = only(events, "gradients");
    expect(gradients.map((g) => g.step)).toEqual(batches.map((b) => b.step));
    for (const b of batches) expect(events[events.indexOf(b) + 1]?.type).toBe("gradients");
    for (const g of gradients) {
      expect(g.layers.map((l) => [l.layer, l.kind])).toEqual([
        [1, "dense"],
        [2, "dense"],
      ]);
      for (const l of g.layers) {
        expect(l.gradNorm).toBeGreaterThan(1e-6);
        expect(l.gradNorm).toBeLessThan(1e3);
        // Adam's first steps move each weight by about lr = 1e-3 against PyTorch-initialised weights.
        expect(l.updateRatio).toBeGreaterThan(1e-5);
        expect(l.updateRatio).toBeLessThan(1e-1);
      }
    }
    expect(only(events, "log").filter((e) => e.level === "warn")).toEqual([]);
  });

  it("matches a hand computation: plain SGD's update ratio is lr · ‖g‖ / ‖w‖", async () => {
    const dataset = await mnistSubset(32, 16);
    const spec = {
      input: { shape: [1, 28, 28] },
      layers: [{ kind: "flatten" }, { kind: "dense", units: 10 }],
      classes,
    };
    const run = train({
      spec,
      config: { optimizer: "sgd", learningRate: 0.5, batchSize: 32, epochs: 1, validationSplit: 0, seed: 1 },
      dataset,
      logEvery: 1,
      evaluateTest: false,
    });
    const initial = run.model.init(1);
    const norm = async (a: import("@jax-js/jax").numpy.Array) => Math.hypot(...(await a.data()));
    const weightNorm = Math.hypot(await norm(initial.params["1.weight"]!), await norm(initial.params["1.bias"]!));
    const events = await collect(run);
    run.dispose();
    const [g] = only(events, "gradients");
    const layer = g!.layers[0]!;
    expect(layer.updateRatio).toBeCloseTo((0.5 * layer.gradNorm!) / weightNorm, 5);
  });

  it("can be turned off", async () => {
    const dataset = await mnistSubset(64, 16);
    const run = train({
      spec: mlp(),
      config: { batchSize: 32, epochs: 1, validationSplit: 0 },
      dataset,
      logEvery: 1,
      gradientStats: false,
    });
    const events = await collect(run);
    run.dispose();
    expect(only(events, "batch").length).toBe(2);
    expect(only(events, "gradients")).toEqual([]);
  });

  it("warns of exploding gradients, naming the layer, when SGD with lr 10 blows up a deep linear net", async () => {
    const dataset = await mnistSubset(256, 16);
    const deep = {
      input: { shape: [1, 28, 28] },
      layers: [
        { kind: "flatten" },
        ...Array.from({ length: 6 }, () => ({ kind: "dense", units: 64 })),
        { kind: "dense", units: 10 },
      ],
      classes,
    };
    const run = train({
      spec: deep,
      config: { optimizer: "sgd", learningRate: 10, batchSize: 32, epochs: 2, validationSplit: 0, seed: 1 },
      dataset,
      logEvery: 1,
    });
    const events = await collect(run);
    run.dispose();
    for (const e of events) expect(TrainEvent.safeParse(e).success).toBe(true);
    const warnings = only(events, "log").filter((e) => e.level === "warn");
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]!.message).toMatch(/^Exploding gradients in dense #\d: the gradient norm/);
    const exploded = only(events, "gradients")
      .flatMap((g) => g.layers)
      .filter((l) => l.gradNorm === null || l.gradNorm > 1e3);
    expect(exploded.length).toBeGreaterThan(0);
    // The warning comes before the run gives up.
    const last = events.at(-1)!;
    if (last.type === "diverged") expect(events.indexOf(warnings[0]!)).toBeLessThan(events.length - 1);
  });
});
