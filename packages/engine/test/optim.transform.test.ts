import { init, jit, numpy as np, tree } from "@jax-js/jax";
import type { TrainingConfig } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import {
  applyUpdates,
  chain,
  createOptimizer,
  type OptState,
  scaleByLearningRate,
  type Tree,
  trace,
} from "../src/optim";
import { maxAbsDiff, runOptimizer, toTree, toValues, type Values } from "./fixtures/optim-harness";
import { trackLiveBuffers } from "./helpers/live-buffers";

/*
 * The transformations inside jit and out, their ownership, and their errors.
 * Numerical correctness is optim.closed-form.test.ts's and optim.torch.test.ts's job.
 */

const OPTIMIZERS: [string, TrainingConfig["optimizer"], number][] = [
  ["sgd nesterov + weight decay", { name: "sgd", momentum: 0.9, nesterov: true }, 0.01],
  ["adam + weight decay", { name: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 0.01],
  ["adamw", { name: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 0.05],
  ["rmsprop momentum", { name: "rmsprop", alpha: 0.99, epsilon: 1e-8, momentum: 0.5 }, 0],
  ["sgd momentum", { name: "sgd", momentum: 0.9, nesterov: false }, 0],
  ["adagrad", { name: "adagrad", epsilon: 1e-10, initialAccumulator: 0.1 }, 0.01],
];

const INITIAL: Values = {
  "0.weight": [
    [0.5, -0.25, 1],
    [0, 2, -1],
  ],
  "0.bias": [0.1, -0.1],
};
const GRADS: Values[] = Array.from({ length: 6 }, (_, t) => ({
  "0.weight": [
    [t * 0.1 - 0.2, 0.3, -0.05 * t],
    [1, -1, 0.5 - t * 0.2],
  ],
  "0.bias": [0.2 * (t % 3) - 0.1, -0.3],
}));
const LEARNING_RATES = [0.01, 0.02, 0.03, 0.03, 0.018, 0.0108];

beforeAll(async () => {
  await init("wasm");
});

describe("jit", () => {
  it.each(OPTIMIZERS)("%s gives the eager numbers and compiles once for every learning rate", (_, config, wd) => {
    const eager = runOptimizer(createOptimizer(config, wd), INITIAL, GRADS, LEARNING_RATES, "eager");
    const jitted = runOptimizer(createOptimizer(config, wd), INITIAL, GRADS, LEARNING_RATES, "jit");
    // Fused kernels may round a quotient differently, by an ulp at most (≈ 1e-7 here).
    expect(maxAbsDiff(jitted.trajectory, eager.trajectory)).toBeLessThan(1e-6);
    expect(eager.traces).toBe(GRADS.length);
    // The learning rate and the step count are traced inputs: six different rates, one trace.
    expect(jitted.traces).toBe(1);
  });

  it("keeps the structure of nested parameter trees", () => {
    type Params = { layers: { weight: np.Array; bias: np.Array }[]; scale: np.Array };
    const make = (w: number[], b: number[], s: number): Params => ({
      layers: [{ weight: np.array(w), bias: np.array(b) }],
      scale: np.array([s]),
    });
    const optimizer = createOptimizer({ name: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 0);
    const step = jit((p: Params, s: OptState[], g: Params, lr: np.Array) => {
      const [updates, next] = optimizer.update(g, s, tree.ref(p), { learningRate: lr });
      return [applyUpdates(p, updates), next] as [Params, OptState[]];
    });
    let params = make([1, 2], [0], 3);
    let state = optimizer.init(tree.ref(params));
    [params, state] = step(params, state, make([1, -1], [0.5], -2), np.array(0.1));
    // Adam's first step moves every element by lr·sign(g).
    expect(toValues(params as unknown as Tree)).toEqual({
      layers: [{ weight: [expect.closeTo(0.9, 6), expect.closeTo(2.1, 6)], bias: [expect.closeTo(-0.1, 6)] }],
      scale: [expect.closeTo(3.1, 6)],
    });
    tree.dispose([params, state]);
    step.dispose();
  });
});

describe("ownership", () => {
  it.each(OPTIMIZERS)("%s: update consumes its four arguments and returns fresh arrays", (_, config, wd) => {
    const optimizer = createOptimizer(config, wd);
    const params = toTree(INITIAL);
    let state = optimizer.init(tree.ref(params));
    for (const g of GRADS.slice(0, 2)) {
      const grads = toTree(g);
      const hyper = { learningRate: np.array(0.1) };
      const inputs = tree.leaves([grads, state, hyper]) as np.Array[];
      const [updates, next] = optimizer.update(grads, state, tree.ref(params), hyper);
      expect(inputs.map((a) => a.refCount)).toEqual(inputs.map(() => 0));
      expect((tree.leaves([updates, next]) as np.Array[]).map((a) => a.refCount)).toEqual(
        tree.leaves([updates, next]).map(() => 1),
      );
      tree.dispose(updates);
      state = next;
    }
    expect((tree.leaves(params) as np.Array[]).map((a) => a.refCount)).toEqual([1, 1]);
    tree.dispose([params, state]);
  });

  it.each(OPTIMIZERS)("%s: eager steps leave no arrays behind", async (_, config, wd) => {
    const liveBuffers = await trackLiveBuffers();
    const before = liveBuffers();
    runOptimizer(createOptimizer(config, wd), INITIAL, GRADS, LEARNING_RATES, "eager");
    expect(liveBuffers()).toBe(before);
  });

  it("init consumes the parameters it is given", () => {
    const params = toTree(INITIAL);
    const leaves = tree.leaves(params) as np.Array[];
    const state = chain(trace({ decay: 0.9 }), scaleByLearningRate()).init(params);
    expect(leaves.map((a) => a.refCount)).toEqual([0, 0]);
    tree.dispose(state);
  });
});

describe("errors a person can act on", () => {
  it("a state from another optimizer", () => {
    const sgd = createOptimizer({ name: "sgd", momentum: 0.9, nesterov: false }, 0.01);
    const adam = createOptimizer({ name: "adam", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 0);
    const params = toTree(INITIAL);
    const wrongState = adam.init(tree.ref(params));
    expect(() => sgd.update(toTree(GRADS[0]!), wrongState, tree.ref(params), { learningRate: np.array(0.1) })).toThrow(
      /state has 2 parts but the chain has 3.*same optimizer/,
    );
    tree.dispose(params);
  });

  it("Nesterov without momentum", () => {
    expect(() => createOptimizer({ name: "sgd", momentum: 0, nesterov: true }, 0)).toThrow(
      /nesterov needs optimizer.momentum > 0/,
    );
  });

  it("an unknown optimizer name", () => {
    expect(() => createOptimizer({ name: "lamb" } as never, 0)).toThrow(/optimizers are sgd, adam, adamw/);
  });

  it("an out-of-range hyperparameter names the field", () => {
    expect(() => createOptimizer({ name: "adam", beta1: 1.5, beta2: 0.999, epsilon: 1e-8 }, 0)).toThrow(
      /optimizer\.beta1/,
    );
  });

  it("a negative weight decay", () => {
    expect(() => createOptimizer({ name: "adamw", beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, -1)).toThrow(
      /weightDecay must be a number ≥ 0/,
    );
  });

  it("a bare name means the defaults", () => {
    const run = runOptimizer(createOptimizer("adam" as never, 0), { w: [1] }, [{ w: [3] }], [0.1], "eager");
    expect((run.trajectory[0]!.w as number[])[0]).toBeCloseTo(0.9, 6);
  });
});
