import { analyzeSpec, TrainingConfig } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../src/api/client";
import { LAYER_FIELDS, parseFieldInput } from "../src/builder/layerFields";
import { DEFAULT_DATASET } from "../src/data/datasets";
import { defaultQuery, queryForStudio, registryParams, studioForQuery } from "../src/draw/registryLookup";
import { diffSetups } from "../src/state/configDiff";
import { decodeSetup, encodeSetup, setupFromUrl, shareLink } from "../src/state/share";
import { dispatch, fromTemplate, initialStudio, outputLayerIndex, redo, startHistory, undo } from "../src/state/studio";
import { configForm, configValue } from "../src/train/configFields";

describe("builder commands and history", () => {
  it("applies commands immutably and undoes/redoes them in order", () => {
    const h0 = startHistory(initialStudio());
    const before = JSON.stringify(h0.present);
    const h1 = dispatch(h0, "addLayer", { kind: "dropout", at: 1 });
    const h2 = dispatch(h1, "setParam", { layer: 1, field: "rate", value: 0.2 });
    expect(JSON.stringify(h0.present)).toBe(before); // untouched
    expect(h2.present.spec.layers![1]).toEqual({ kind: "dropout", rate: 0.2 });
    const back = undo(undo(h2));
    expect(back.present).toBe(h0.present);
    expect(redo(back).present).toBe(h1.present);
    // A new command after undo drops the redo branch.
    expect(dispatch(undo(h2), "removeLayer", { at: 0 }).future).toEqual([]);
  });

  it("moves layers and ignores moves out of range", () => {
    const h = startHistory(initialStudio());
    const kinds = (s: typeof h) => s.present.spec.layers!.map((l) => l.kind);
    expect(kinds(h)).toEqual(["flatten", "dense", "dense", "dense"]);
    expect(kinds(dispatch(h, "moveLayer", { from: 0, to: 3 }))).toEqual(["dense", "dense", "dense", "flatten"]);
    expect(dispatch(h, "moveLayer", { from: 0, to: 9 })).toBe(h);
  });

  it("one-click fix from analyzeSpec makes a broken model valid", () => {
    let h = startHistory(initialStudio());
    h = dispatch(h, "removeLayer", { at: 0 }); // dense straight on an image
    const broken = analyzeSpec(h.present.spec);
    expect(broken.ok).toBe(false);
    const problem = broken.problems.find((p) => p.autofix && p.severity === "error")!;
    h = dispatch(h, "applyFix", { edit: problem.autofix!, fix: problem.fix });
    expect(analyzeSpec(h.present.spec).ok).toBe(true);
  });

  it("changing the dataset rewrites input shape and classes", () => {
    const h = dispatch(startHistory(initialStudio()), "setDataset", {
      dataset: { ...DEFAULT_DATASET, shapes: ["circle", "square", "triangle", "star"], size: 32 },
    });
    expect(h.present.spec.input?.shape).toEqual([1, 32, 32]);
    expect(h.present.spec.classes).toEqual(["circle", "square", "triangle", "star"]);
    // The output layer follows: four classes, four units, and the model is valid without a manual fix.
    expect(h.present.spec.layers?.at(-1)).toMatchObject({ kind: "dense", units: 4 });
    expect(analyzeSpec(h.present.spec).ok).toBe(true);
  });

  it("choosing MNIST sizes the output layer to its 10 classes for every template, and undo restores 3", () => {
    const mnist = {
      kind: "server" as const,
      id: "mnist",
      shape: [1, 28, 28] as [number, number, number],
      classes: "0123456789".split(""),
    };
    for (const id of ["mlp", "cnn"] as const) {
      const start = startHistory(fromTemplate(id, DEFAULT_DATASET));
      expect(analyzeSpec({ ...start.present.spec, classes: mnist.classes }).ok).toBe(false);
      const h = dispatch(start, "setDataset", { dataset: mnist });
      const at = outputLayerIndex(h.present.spec);
      expect(at).not.toBeNull();
      expect(h.present.spec.layers?.[at!]).toMatchObject({ units: 10 });
      expect(analyzeSpec(h.present.spec).ok).toBe(true);
      expect(undo(h).present.spec.layers?.[at!]).toMatchObject({ units: 3 });
    }
  });
});

describe("share links", () => {
  it("round-trips model, config and dataset through a URL", () => {
    const studio = { ...fromTemplate("cnn", DEFAULT_DATASET), config: { ...TrainingConfig.parse({}), batchSize: 32 } };
    const link = shareLink("http://127.0.0.1:5173/#/train", studio);
    const back = setupFromUrl(link);
    expect(back).toEqual({ ok: true, studio });
    expect(new URL(link).hash).toBe("#/train");
  });

  it("reports damaged or foreign links instead of throwing", () => {
    expect(decodeSetup("%%%")).toMatchObject({ ok: false, error: expect.stringMatching(/damaged/) });
    const wrongVersion = btoa(JSON.stringify({ v: 99, spec: {}, config: {}, dataset: DEFAULT_DATASET }));
    expect(decodeSetup(wrongVersion)).toMatchObject({ ok: false, error: expect.stringMatching(/version 99/) });
    const badData = encodeSetup({
      ...initialStudio(),
      dataset: { ...DEFAULT_DATASET, shapes: ["blob" as never, "circle"] },
    });
    expect(decodeSetup(badData)).toMatchObject({ ok: false, error: expect.stringMatching(/dataset/) });
    expect(setupFromUrl("http://x/#/build")).toBeNull();
  });

  it("keeps non-ASCII names intact", () => {
    const studio = { ...initialStudio(), spec: { ...initialStudio().spec, name: "Größe ✓ 模型" } };
    expect(decodeSetup(encodeSetup(studio))).toEqual({ ok: true, studio });
  });
});

describe("forms generated from the schemas", () => {
  it("lists every top-level config field with its help text and bounds", () => {
    const form = configForm();
    const paths = form.main.map((f) => f.path);
    expect(paths).toEqual([
      "learningRate",
      "batchSize",
      "epochs",
      "weightDecay",
      "labelSmoothing",
      "validationSplit",
      "seed",
      "keepEpochCheckpoints",
    ]);
    const lr = form.main[0]!;
    expect(lr.help).toBe(TrainingConfig.shape.learningRate.description);
    expect(lr).toMatchObject({ type: "number", max: 10, defaultValue: 1e-3 });
    expect(form.main.find((f) => f.path === "batchSize")).toMatchObject({ type: "integer", min: 1, max: 65536 });
    expect(form.normalization).toMatchObject({
      path: "normalization",
      type: "enum",
      label: "Input normalization",
      options: ["per-channel", "global", "none"],
      defaultValue: "per-channel",
      help: TrainingConfig.shape.normalization.description,
    });
    expect(form.optimizer.field.options).toEqual(["sgd", "adam", "adamw", "rmsprop", "adagrad"]);
    expect(form.optimizer.byName.sgd!.map((f) => f.path)).toEqual(["optimizer.momentum", "optimizer.nesterov"]);
    expect(form.augmentation.map((f) => f.path)).toContain("augmentation.rotation");
  });

  it("reads values out of configs written with bare names", () => {
    expect(configValue({ optimizer: "sgd" }, "optimizer.name")).toBe("sgd");
    expect(configValue({ optimizer: { name: "adam", beta1: 0.8 } }, "optimizer.beta1")).toBe(0.8);
    expect(configValue({}, "schedule.name")).toBeUndefined();
  });

  it("gives every layer kind its editable fields", () => {
    expect(LAYER_FIELDS.conv2d.map((f) => f.name)).toEqual([
      "filters",
      "kernel",
      "stride",
      "padding",
      "bias",
      "activation",
    ]);
    expect(LAYER_FIELDS.flatten).toEqual([]);
    const units = LAYER_FIELDS.dense[0]!;
    expect(parseFieldInput(units, "12")).toBe(12);
    expect(parseFieldInput(units, "")).toBeUndefined(); // required: not a value yet
    expect(parseFieldInput(LAYER_FIELDS.maxPool2d[1]!, "")).toBeNull(); // optional stride: delete it
  });
});

describe("config differences", () => {
  it("lists only the settings that differ", () => {
    const rows = diffSetups([
      { config: { epochs: 1, optimizer: { name: "adam" } }, dataset: "x" },
      { config: { epochs: 3, optimizer: { name: "adam" } }, dataset: "x" },
    ]);
    expect(rows).toEqual([{ path: "config.epochs", values: ["1", "3"] }]);
  });
});

describe("registry lookup (seed 001)", () => {
  const query = {
    modelKind: "mlp" as const,
    optimizer: "sgd" as const,
    batchSize: 32,
    hidden: [128, 64],
    epochs: 2,
    dropout: true,
    learningRate: "medium-low" as const,
    dataset: "shapes",
  };

  it("asks the server for the best finished run with exactly these settings", () => {
    const p = registryParams(query);
    expect(Object.fromEntries(p)).toMatchObject({
      status: "succeeded",
      modelKind: "mlp",
      optimizer: "sgd",
      batchSize: "32",
      hidden: "128,64",
      dropout: "true",
      learningRate: "medium-low",
      sort: "testAccuracy",
      order: "desc",
      limit: "1",
    });
  });

  it("'Train this configuration' builds SimpleNN with those layers and an LR inside the range", () => {
    const studio = studioForQuery(query, DEFAULT_DATASET);
    const dense = studio.spec.layers!.filter((l) => l.kind === "dense").map((l) => (l as { units: number }).units);
    expect(dense).toEqual([128, 64, 3]);
    expect(studio.spec.layers!.filter((l) => l.kind === "dropout")).toHaveLength(2);
    expect(studio.config).toMatchObject({ optimizer: { name: "sgd" }, batchSize: 32, epochs: 2 });
    expect(studio.config.learningRate).toBeGreaterThanOrEqual(1e-4);
    expect(studio.config.learningRate).toBeLessThanOrEqual(5e-4);
    expect(analyzeSpec(studio.spec).ok).toBe(true);
  });

  /** A finished registry run with these filter columns. */
  const finishedRun = (id: string, createdAt: number, columns: Partial<RunSummary>): RunSummary => ({
    id,
    name: id,
    status: "succeeded",
    executor: "server",
    tags: [],
    notes: "",
    dataset: "shapes",
    fingerprint: id,
    modelKind: "mlp",
    optimizer: "adam",
    batchSize: 64,
    epochs: 1,
    learningRate: 1e-3,
    dropout: 0,
    hiddenUnits: "128",
    epochsDone: 1,
    createdAt,
    startedAt: createdAt,
    finishedAt: createdAt,
    trainSeconds: 1,
    metrics: {
      trainLoss: null,
      trainAccuracy: null,
      valLoss: null,
      valAccuracy: null,
      testLoss: null,
      testAccuracy: null,
    },
    error: null,
    queuePosition: null,
    worker: null,
    ...columns,
  });

  it("starts the filter at the studio's own setup when nothing was trained: the shapes, not MNIST", () => {
    expect(defaultQuery({ trainedHere: null, finished: [], studio: initialStudio() })).toEqual({
      modelKind: "mlp",
      optimizer: "adam",
      batchSize: 64,
      hidden: [128, 64],
      epochs: 5,
      dropout: false,
      learningRate: "high",
      dataset: "shapes",
    });
  });

  it("starts the filter at the newest finished run of the registry, whatever order the list came in", () => {
    const older = finishedRun("older", 1_000, { dataset: "mnist", epochs: 3 });
    const newest = finishedRun("newest", 2_000, {
      modelKind: "cnn",
      optimizer: "sgd",
      batchSize: 32,
      epochs: 7,
      learningRate: 0.05,
      dropout: 0.25,
      hiddenUnits: "",
      dataset: "cifar10",
    });
    expect(defaultQuery({ trainedHere: null, finished: [older, newest], studio: initialStudio() })).toEqual({
      modelKind: "cnn",
      optimizer: "sgd",
      batchSize: 32,
      hidden: [],
      epochs: 7,
      dropout: true,
      learningRate: "very-high",
      dataset: "cifar10",
    });
  });

  it("starts the filter at the run trained last in this tab over the registry's newest", () => {
    const mnist = {
      kind: "server" as const,
      id: "mnist",
      shape: [1, 28, 28] as [number, number, number],
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    };
    const trained = fromTemplate("cnn", mnist);
    trained.config = { ...trained.config, epochs: 2, batchSize: 128, learningRate: 3e-4 };
    const q = defaultQuery({
      trainedHere: trained,
      finished: [finishedRun("newest", 2_000, { epochs: 9 })],
      studio: initialStudio(),
    });
    expect(q).toEqual({
      modelKind: "cnn",
      optimizer: "adam",
      batchSize: 128,
      hidden: [128],
      epochs: 2,
      dropout: false,
      learningRate: "medium-low",
      dataset: "mnist",
    });
    expect(queryForStudio(trained)).toEqual(q);
  });
});
