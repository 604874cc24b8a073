import { describe, expect, it } from "vitest";
import type { RunSummary } from "../src/api/client";
import { pickerLabels } from "../src/draw/pickerLabels";

function run(id: string, patch: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: "mlp-adam",
    status: "succeeded",
    executor: "browser",
    tags: [],
    notes: "",
    dataset: "mnist",
    fingerprint: "f",
    modelKind: "mlp",
    optimizer: "adam",
    batchSize: 64,
    epochs: 1,
    learningRate: 0.001,
    dropout: 0,
    hiddenUnits: "128",
    epochsDone: 1,
    createdAt: Date.UTC(2026, 11, 1, 9, 30),
    startedAt: null,
    finishedAt: null,
    trainSeconds: 3,
    metrics: { testAccuracy: 0.9, testLoss: 0.3 } as RunSummary["metrics"],
    error: null,
    queuePosition: null,
    worker: null,
    ...patch,
  };
}

describe("the registry picker's labels", () => {
  it("name a run by its summary where no other run shares it", () => {
    expect(pickerLabels([run("a"), run("b", { name: "cnn-sgd" })])).toEqual([
      "mlp-adam · mnist · 90.0%",
      "cnn-sgd · mnist · 90.0%",
    ]);
  });

  it("tell runs with the same summary apart by the settings in which they differ", () => {
    const labels = pickerLabels([run("a"), run("b", { learningRate: 0.01 }), run("c", { name: "other" })]);
    expect(labels).toEqual([
      "mlp-adam · mnist · 90.0% · learningRate 0.001",
      "mlp-adam · mnist · 90.0% · learningRate 0.01",
      "other · mnist · 90.0%",
    ]);
  });

  it("fall back to when they were created, then to a short id", () => {
    const later = run("b", { createdAt: Date.UTC(2026, 11, 1, 10, 5) });
    expect(pickerLabels([run("a"), later])).toEqual([
      "mlp-adam · mnist · 90.0% · created 2026-12-01 09:30",
      "mlp-adam · mnist · 90.0% · created 2026-12-01 10:05",
    ]);
    const twins = pickerLabels([run("run-1111"), run("run-2222")]);
    expect(new Set(twins).size).toBe(2);
    expect(twins[0]).toMatch(/#1111$/);
  });
});
