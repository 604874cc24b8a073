import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ACTIVATION_NAMES,
  defaultTrainingConfig,
  type FieldInfo,
  fieldsOf,
  LAYER_KINDS,
  Layer,
  NORMALIZATION_MODES,
  OPTIMIZER_NAMES,
  SCHEDULE_NAMES,
  TrainingConfig,
  variantsOf,
} from "../src";

/** Every field under `fields`, variants' and objects' fields included (an array's element is not a field). */
function allFields(fields: FieldInfo[]): FieldInfo[] {
  return fields.flatMap((f) => [
    f,
    ...allFields(f.fields ?? []),
    ...Object.values(f.variants ?? {}).flatMap((v) => allFields(v)),
  ]);
}

const byKey = (fields: FieldInfo[], key: string) => fields.find((f) => f.key === key)!;

describe("fieldsOf(TrainingConfig)", () => {
  const fields = fieldsOf(TrainingConfig);

  it("lists every top-level field in the schema's order, with its description as help", () => {
    expect(fields.map((f) => f.key)).toEqual(Object.keys(TrainingConfig.shape));
    for (const field of fields) {
      const schema = TrainingConfig.shape[field.key as keyof typeof TrainingConfig.shape];
      expect(field.help, field.key).toBe(schema.description);
      expect(field.path).toEqual([field.key]);
    }
  });

  it("gives every field, down to each optimizer's and schedule's options, a non-empty help text", () => {
    const all = allFields(fields);
    expect(all.length).toBeGreaterThan(30);
    const missing = all.filter((f) => f.help.trim() === "").map((f) => f.path.join("."));
    expect(missing).toEqual([]);
  });

  it("keeps every help text short enough to read under its field in the form (at most 200 characters)", () => {
    // The form shows the help in a narrow column: 200 characters are about five lines there.
    const long = allFields(fields)
      .filter((f) => f.help.length > 200)
      .map((f) => `${f.path.join(".")} (${f.help.length})`);
    expect(long).toEqual([]);
    expect(byKey(fields, "keepEpochCheckpoints").recommended).toBe("10 – 50");
  });

  it("says what is usual for every optimizer and schedule option", () => {
    for (const key of ["optimizer", "schedule"]) {
      for (const [name, variant] of Object.entries(byKey(fields, key).variants!)) {
        for (const f of variant) expect(f.help, `${key} ${name} ${f.key}`).toMatch(/usual|usually/);
      }
    }
  });

  it("reads bounds, defaults, integer-ness and the names people see", () => {
    expect(byKey(fields, "learningRate")).toMatchObject({
      kind: "number",
      label: "Learning rate",
      min: 0,
      minExclusive: true,
      max: 10,
      default: 1e-3,
      hasDefault: true,
      optional: true,
      recommended: "Adam 1e-4 – 3e-3 · SGD 0.01 – 0.1",
    });
    expect(byKey(fields, "batchSize")).toMatchObject({ kind: "integer", label: "Batch size", min: 1, max: 65536 });
    expect(byKey(fields, "labelSmoothing")).toMatchObject({ min: 0, max: 1, maxExclusive: true });
    expect(byKey(fields, "labelSmoothing").minExclusive).toBeUndefined();
    expect(byKey(fields, "epochs").label).toBe("Epochs");
    expect(byKey(fields, "normalization")).toMatchObject({
      kind: "enum",
      label: "Input normalization",
      options: [...NORMALIZATION_MODES],
      default: "per-channel",
    });
    // Every default the walker reports is the one parsing fills in.
    const defaults = defaultTrainingConfig() as Record<string, unknown>;
    for (const f of fields) expect(f.default, f.key).toEqual(defaults[f.key]);
  });

  it("leaves the safe-integer range of z.int() out of the bounds", () => {
    const patience = byKey(byKey(fields, "earlyStopping").fields!, "patience");
    expect(patience).toMatchObject({ kind: "integer", min: 1 });
    expect(patience.max).toBeUndefined();
  });

  it("reads optimizer and schedule as variants picked by name, each with its own fields", () => {
    const optimizer = byKey(fields, "optimizer");
    expect(optimizer).toMatchObject({ kind: "variant", discriminator: "name", options: [...OPTIMIZER_NAMES] });
    expect((optimizer.default as { name: string }).name).toBe("adam");
    expect(optimizer.variants!.sgd!.map((f) => f.path.join("."))).toEqual(["optimizer.momentum", "optimizer.nesterov"]);
    expect(optimizer.variants!.adagrad!.map((f) => f.key)).toEqual(["epsilon", "initialAccumulator"]);
    expect(byKey(optimizer.variants!.rmsprop!, "alpha")).toMatchObject({ min: 0, max: 1, maxExclusive: true });
    const schedule = byKey(fields, "schedule");
    expect(schedule).toMatchObject({ kind: "variant", label: "LR schedule", options: [...SCHEDULE_NAMES] });
    const milestones = byKey(schedule.variants!.step!, "milestones");
    expect(milestones).toMatchObject({ kind: "array", default: [], items: { kind: "integer", min: 1 } });
  });

  it("reads a nullable object with its fields", () => {
    const early = byKey(fields, "earlyStopping");
    expect(early).toMatchObject({ kind: "object", nullable: true, default: null });
    expect(early.fields!.map((f) => f.key)).toEqual(["metric", "patience", "minDelta"]);
    expect(byKey(early.fields!, "metric")).toMatchObject({ kind: "enum", options: ["val_loss", "val_acc"] });
    const augmentation = byKey(fields, "augmentation");
    expect(byKey(augmentation.fields!, "rotation")).toMatchObject({ min: 0, max: 180, recommended: "0 – 15°" });
  });
});

describe("variantsOf(Layer)", () => {
  const layers = variantsOf(Layer);

  it("has every layer kind, with its parameters and their bounds, the kind tag left out", () => {
    expect(Object.keys(layers)).toEqual(LAYER_KINDS);
    for (const option of Layer.options) {
      const kind = option.shape.kind.value;
      const params = Object.keys(option.shape).filter((k) => k !== "kind");
      expect(
        layers[kind]!.map((f) => f.key),
        kind,
      ).toEqual(params);
    }
    expect(byKey(layers.dense!, "units")).toMatchObject({ kind: "integer", min: 1, optional: false });
    expect(byKey(layers.conv2d!, "stride")).toMatchObject({ kind: "integer", min: 1, default: 1, optional: true });
    expect(byKey(layers.conv2d!, "padding")).toMatchObject({ kind: "enum", options: ["valid", "same"] });
    expect(byKey(layers.maxPool2d!, "stride")).toMatchObject({ optional: true, hasDefault: false });
    expect(byKey(layers.batchNorm!, "momentum")).toMatchObject({
      min: 0,
      minExclusive: true,
      max: 1,
      maxExclusive: true,
      default: 0.1,
    });
    expect(byKey(layers.dropout!, "rate")).toMatchObject({ min: 0, max: 1, maxExclusive: true, default: 0.5 });
    expect(byKey(layers.activation!, "fn")).toMatchObject({ kind: "enum", options: [...ACTIVATION_NAMES] });
    expect(layers.flatten!.map((f) => f.key)).toEqual(["id", "inputs"]);
    expect(byKey(layers.add!, "inputs")).toMatchObject({ kind: "array", optional: true, label: "Inputs" });
  });

  it("reads an activation (a name or {fn, alpha}) as a union offering the activation names", () => {
    expect(byKey(layers.dense!, "activation")).toMatchObject({
      kind: "union",
      optional: true,
      options: [...ACTIVATION_NAMES],
    });
  });

  it("refuses a schema that is not a discriminated union", () => {
    expect(() => variantsOf(TrainingConfig)).toThrow(/not a discriminated union/);
  });
});

describe("fieldsOf on schemas with ids and .meta()", () => {
  it("follows $defs references and keeps custom metadata", () => {
    const Inner = z
      .object({ size: z.number().int().max(9).meta({ recommended: "3" }) })
      .meta({ id: "FieldsTestInner" });
    const fields = fieldsOf(z.object({ a: Inner, b: Inner.optional().describe("The second one.") }));
    expect(fields.map((f) => [f.key, f.kind, f.optional])).toEqual([
      ["a", "object", false],
      ["b", "object", true],
    ]);
    expect(fields[1]!.help).toBe("The second one.");
    expect(fields[1]!.fields![0]).toMatchObject({ path: ["b", "size"], kind: "integer", max: 9, recommended: "3" });
  });
});

describe("no reader of zod's private internals", () => {
  it("leaves `_zod` out of every package's source", () => {
    const packages = join(import.meta.dirname, "..", "..");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) && readFileSync(path, "utf8").includes("_zod"))
          offenders.push(path);
      }
    };
    const sources = readdirSync(packages)
      .map((name) => join(packages, name, "src"))
      .filter((dir) => existsSync(dir));
    expect(sources.length).toBeGreaterThan(3);
    for (const dir of sources) walk(dir);
    expect(offenders).toEqual([]);
  });
});
