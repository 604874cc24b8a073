/**
 * The studio's training worker, bundled as the page gets it and run in
 * headless Chromium, answers predictions from compiled passes it builds once
 * per model: twenty predictions on one model build once, and swapping the
 * model for another builds again and frees the first.
 */
import { describe, expect, it } from "vitest";
import { runPredictBench } from "./chromium/predict";

describe("predictions in the studio's worker", () => {
  it("build the model's compiled passes once for twenty predictions, and again (freeing the old) after a model swap", async () => {
    const [mlp] = await runPredictBench({ templates: ["mlp"], count: 20, warmup: 0, timeoutMs: 60_000 });
    expect(mlp!.count).toBe(20);
    expect(mlp!.predictors.afterMeasuring).toEqual({ built: 1, live: 1 });
    expect(mlp!.predictors.afterSwitch).toEqual({ built: 2, live: 1 });
    expect(mlp!.p50Ms).toBeGreaterThan(0);
  }, 90_000);
});
