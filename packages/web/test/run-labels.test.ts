// Compare's legends name the runs: two runs of one template ("MLP") are told
// apart by the settings in which they differ, or by a short id.
import { describe, expect, it } from "vitest";
import { diffSetups } from "../src/state/configDiff";
import { runLabels } from "../src/state/runLabels";

const setup = (learningRate: number, optimizer = "adam") => ({
  model: "dense128-dense10",
  config: { learningRate, optimizer: { name: optimizer } },
  dataset: "mnist",
});

describe("runLabels", () => {
  it("keeps names that are already distinct", () => {
    const runs = [
      { id: "run-a-0001", name: "MLP" },
      { id: "run-b-0002", name: "CNN" },
    ];
    expect(runLabels(runs, diffSetups([setup(0.01), setup(0.001)]))).toEqual(["MLP", "CNN"]);
  });

  it("adds the distinguishing settings to names that repeat", () => {
    const runs = [
      { id: "run-a-0001", name: "MLP" },
      { id: "run-b-0002", name: "MLP" },
    ];
    expect(runLabels(runs, diffSetups([setup(0.01, "sgd"), setup(0.001)]))).toEqual([
      "MLP · learningRate 0.01, optimizer.name sgd",
      "MLP · learningRate 0.001, optimizer.name adam",
    ]);
  });

  it("falls back to a short id when the setups are the same", () => {
    const runs = [
      { id: "run-a-0001", name: "MLP" },
      { id: "run-b-0002", name: "MLP" },
    ];
    expect(runLabels(runs, diffSetups([setup(0.01), setup(0.01)]))).toEqual(["MLP #0001", "MLP #0002"]);
  });
});
