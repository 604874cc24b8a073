import { LAYER_KINDS, LEARNING_RATE_RANGES, OPTIMIZER_LEARNING_RATES, TrainingConfig } from "@layerlab/spec";
import { describe, expect, it } from "vitest";
import { LAYER_FIELDS } from "../src/builder/layerFields";
import { GLOSSARY, glossaryEntry, glossaryIdOf, searchGlossary } from "../src/guide/glossary";
import { configTerm, layerFieldTerm, layerKindTerm } from "../src/guide/helpTerms";
import { type Box, placeCard } from "../src/guide/placement";
import { TOUR_STEPS } from "../src/guide/tourSteps";
import { type ConfigField, configForm } from "../src/train/configFields";

/** Every input the training form and the data panel show, variant fields included. */
function formInputs(): ConfigField[] {
  const form = configForm();
  return [
    ...form.main,
    form.normalization,
    form.optimizer.field,
    ...Object.values(form.optimizer.byName).flat(),
    form.schedule.field,
    ...Object.values(form.schedule.byName).flat(),
    ...form.augmentation,
    ...form.earlyStopping,
  ];
}

describe("the glossary", () => {
  it("has unique ids, and every 'see also' names an entry", () => {
    const ids = GLOSSARY.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of GLOSSARY)
      for (const id of e.related ?? []) expect(glossaryEntry(id), `${e.id} → ${id}`).toBeDefined();
  });

  it("covers the terms a learner meets", () => {
    for (const id of ["learning-rate", "epoch", "batch-size", "sgd", "adam", "rmsprop", "adagrad", "momentum"]) {
      expect(glossaryEntry(id), id).toBeDefined();
    }
    for (const id of ["weight-decay", "schedule", "early-stopping", "loss", "accuracy", "validation", "overfitting"]) {
      expect(glossaryEntry(id), id).toBeDefined();
    }
    for (const id of ["conv2d", "kernel", "stride", "padding", "pooling", "dense", "dropout", "batch-norm", "relu"]) {
      expect(glossaryEntry(id), id).toBeDefined();
    }
    for (const id of ["activation", "softmax", "normalisation", "parameters", "flops", "gradient-flow"]) {
      expect(glossaryEntry(id), id).toBeDefined();
    }
    expect(glossaryEntry("confusion-matrix")).toBeDefined();
  });

  it("links every training option and data option to an entry", () => {
    const inputs = formInputs();
    expect(inputs.length).toBeGreaterThan(20);
    for (const f of inputs) expect(glossaryEntry(configTerm(f.path) ?? ""), f.path).toBeDefined();
    // The early-stopping switch and any field added to the schema later land on an entry too.
    for (const key of Object.keys(TrainingConfig.shape)) expect(configTerm(key), key).toBeDefined();
  });

  it("links every layer kind and every layer parameter to an entry", () => {
    for (const kind of LAYER_KINDS) {
      expect(glossaryEntry(layerKindTerm(kind) ?? ""), kind).toBeDefined();
      for (const f of LAYER_FIELDS[kind]) {
        expect(glossaryEntry(layerFieldTerm(kind, f.name) ?? ""), `${kind}.${f.name}`).toBeDefined();
      }
    }
    // A batch-norm's momentum is not the optimizer's.
    expect(layerFieldTerm("batchNorm", "momentum")).toBe("batch-norm");
  });

  it("quotes the doctor's learning rates and the named ranges, not copies of them", () => {
    const lr = glossaryEntry("learning-rate")!;
    for (const rates of Object.values(OPTIMIZER_LEARNING_RATES)) expect(lr.range).toContain(rates.usual);
    expect(glossaryEntry("sgd")!.range).toContain(OPTIMIZER_LEARNING_RATES.sgd.usual);
    expect(glossaryEntry("adam")!.range).toContain(OPTIMIZER_LEARNING_RATES.adam.usual);
    const ranges = glossaryEntry("learning-rate-range")!.definition;
    for (const r of LEARNING_RATE_RANGES) expect(ranges).toContain(r.label);
    expect(glossaryEntry("batch-size")!.range).toBe(TrainingConfig.shape.batchSize.meta()?.recommended);
  });

  it("searches terms, other names and definitions, every word must match", () => {
    expect(searchGlossary("").length).toBe(GLOSSARY.length);
    expect(searchGlossary("stride").map((e) => e.id)).toContain("stride");
    expect(searchGlossary("BETA1").map((e) => e.id)).toEqual(["adam-betas"]);
    expect(searchGlossary("learning rate").map((e) => e.id)).toContain("learning-rate");
    expect(searchGlossary("zzzz-not-a-term")).toEqual([]);
    const both = searchGlossary("pooling stride").map((e) => e.id);
    expect(both).toContain("stride");
    expect(both).not.toContain("epoch");
  });

  it("reads an entry from its address", () => {
    expect(glossaryIdOf("#/glossary/learning-rate")).toBe("learning-rate");
    expect(glossaryIdOf("#/glossary")).toBeNull();
    expect(glossaryIdOf("#/train")).toBeNull();
  });
});

describe("the tour", () => {
  it("has 4–6 steps along build → data → start → dashboard → test", () => {
    expect(TOUR_STEPS.length).toBeGreaterThanOrEqual(4);
    expect(TOUR_STEPS.length).toBeLessThanOrEqual(6);
    expect(TOUR_STEPS.map((s) => s.route)[0]).toBe("build");
    expect(TOUR_STEPS.some((s) => s.targets.includes("[data-testid=start]"))).toBe(true);
    expect(TOUR_STEPS.some((s) => s.targets.includes("[data-testid=test-this-model]"))).toBe(true);
  });

  const overlaps = (a: Box, b: Box) =>
    a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

  for (const view of [
    { width: 1440, height: 900 },
    { width: 375, height: 740 },
  ]) {
    it(`places the card beside its control, inside a ${view.width}×${view.height} window and below the header`, () => {
      const card = { width: Math.min(352, view.width - 16), height: 190 };
      const header = 60;
      const targets: Box[] = [
        { left: 20, top: 300, width: 200, height: 40 }, // room below
        { left: 20, top: view.height - 60, width: 200, height: 40 }, // no room below
        { left: 10, top: view.height - 60, width: view.width - 20, height: 40 }, // room only above
        { left: view.width - 120, top: 70, width: 100, height: 30 }, // near the top right corner
        { left: 10, top: 100, width: view.width - 20, height: 520 }, // a big panel
      ];
      for (const target of targets) {
        const p = placeCard(target, card, view, header);
        const box = { left: p.left, top: p.top, ...card };
        expect(box.left).toBeGreaterThanOrEqual(0);
        expect(box.top).toBeGreaterThanOrEqual(header);
        expect(box.left + box.width).toBeLessThanOrEqual(view.width);
        expect(box.top + box.height).toBeLessThanOrEqual(view.height);
        if (p.side !== "over") expect(overlaps(box, target), JSON.stringify({ target, p })).toBe(false);
      }
      expect(placeCard(targets[0]!, card, view, header).side).toBe("bottom");
      const wideAtFoot = { left: 10, top: view.height - 60, width: view.width - 20, height: 40 };
      expect(placeCard(wideAtFoot, card, view, header).side).toBe("top");
      expect(placeCard(null, card, view, header).side).toBe("over");
    });
  }
});
