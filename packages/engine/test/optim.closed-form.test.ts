import { init } from "@jax-js/jax";
import { beforeAll, describe, expect, it } from "vitest";
import { createOptimizer } from "../src/optim";
import { runOptimizer } from "./fixtures/optim-harness";

/*
 * Three steps of every optimizer on p₀ = [1, −2], checked against values worked
 * out by hand from PyTorch's documented update rules (the derivation of each
 * column is in the comment above it). Small hyperparameters (β = 0.5, ε = 0.1)
 * keep the hand arithmetic short and make ε's placement visible.
 */

const P0 = { w: [1, -2] };
const LR = [0.1, 0.1, 0.1];

function trajectory(
  optimizer: Parameters<typeof createOptimizer>[0],
  weightDecay: number,
  grads: number[][],
): number[][] {
  const run = runOptimizer(
    createOptimizer(optimizer, weightDecay),
    P0,
    grads.map((g) => ({ w: g })),
    LR,
    "eager",
  );
  return run.trajectory.map((v) => v.w as number[]);
}

function expectClose(actual: number[][], expected: number[][]) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) => {
    row.forEach((x, i) => {
      expect(x, `step ${t + 1}, element ${i}`).toBeCloseTo(expected[t]![i]!, 6);
    });
  });
}

beforeAll(async () => {
  await init("wasm");
});

// g₁ = [0.5, −1], g₂ = [0.25, 0.5], g₃ = [−1, 2]
const G = [
  [0.5, -1],
  [0.25, 0.5],
  [-1, 2],
];

describe("SGD", () => {
  it("plain: p ← p − lr·g", () => {
    // [1 − 0.05, −2 + 0.1], then − 0.1·[0.25, 0.5], then − 0.1·[−1, 2]
    expectClose(trajectory({ name: "sgd", momentum: 0, nesterov: false }, 0, G), [
      [0.95, -1.9],
      [0.925, -1.95],
      [1.025, -2.15],
    ]);
  });

  it("momentum 0.9: buf₁ = g₁, buf ← 0.9·buf + g, p ← p − lr·buf", () => {
    // buf = [0.5, −1], [0.7, −0.4], [−0.37, 1.64]
    expectClose(trajectory({ name: "sgd", momentum: 0.9, nesterov: false }, 0, G), [
      [0.95, -1.9],
      [0.88, -1.86],
      [0.917, -2.024],
    ]);
  });

  it("Nesterov: p ← p − lr·(g + 0.9·buf)", () => {
    // g + 0.9·buf = [0.95, −1.9], [0.88, 0.14], [−1.333, 3.476]
    expectClose(trajectory({ name: "sgd", momentum: 0.9, nesterov: true }, 0, G), [
      [0.905, -1.81],
      [0.817, -1.824],
      [0.9503, -2.1716],
    ]);
  });

  it("coupled weight decay 0.1: p ← p − lr·(g + 0.1·p)", () => {
    // 1 − 0.1·(0.5 + 0.1) = 0.94; 0.94 − 0.1·(0.25 + 0.094) = 0.9056; 0.9056 − 0.1·(−1 + 0.09056) = 0.996544
    expectClose(trajectory({ name: "sgd", momentum: 0, nesterov: false }, 0.1, G), [
      [0.94, -1.88],
      [0.9056, -1.9112],
      [0.996544, -2.092088],
    ]);
  });
});

describe("Adam (β₁ = 0.5, β₂ = 0.75, ε = 0.1)", () => {
  it("bias-corrects both moments and adds ε outside the square root", () => {
    // Element 0, g = 2, −2, 4:
    //   t=1: m = 1, v = 1, m̂ = 1/0.5 = 2, √v̂ = √(1/0.25) = 2, u = 2/2.1
    //   t=2: m = −0.5, v = 1.75, m̂ = −0.5/0.75, √v̂ = √(1.75/0.4375) = 2, u = −(2/3)/2.1
    //   t=3: m = 1.75, v = 5.3125, m̂ = 1.75/0.875 = 2, √v̂ = √(5.3125/0.578125), u = 2/(√v̂ + 0.1)
    // Element 1, constant g = −1: m̂ = −1 and √v̂ = 1 at every step, so p_t = −2 + t·0.1/1.1.
    const grads = [
      [2, -1],
      [-2, -1],
      [4, -1],
    ];
    expectClose(trajectory({ name: "adam", beta1: 0.5, beta2: 0.75, epsilon: 0.1 }, 0, grads), [
      [0.9047619, -1.9090909],
      [0.9365079, -1.8181818],
      [0.8726381, -1.7272727],
    ]);
  });
});

describe("AdamW (β₁ = 0.5, β₂ = 0.75, ε = 0.1, weight decay 0.5)", () => {
  it("decays weights by lr·wd outside Adam's normaliser", () => {
    // Element 0, g = 0: Adam's direction is 0/(0 + ε) = 0, so p_t = (1 − 0.1·0.5)^t = 0.95^t exactly;
    // coupled L2 would instead push 0.5·p through the normaliser and move p by ≈ lr per step.
    // Element 1, g = −1: Adam's direction is −1/1.1 every step, so p ← 0.95·p + 0.1/1.1.
    const grads = [
      [0, -1],
      [0, -1],
      [0, -1],
    ];
    expectClose(trajectory({ name: "adamw", beta1: 0.5, beta2: 0.75, epsilon: 0.1 }, 0.5, grads), [
      [0.95, -1.8090909],
      [0.9025, -1.6277273],
      [0.857375, -1.4554318],
    ]);
  });
});

// Element 0 sees a constant g = 2; element 1 sees −1, 0.5, 0.5.
const GR = [
  [2, -1],
  [2, 0.5],
  [2, 0.5],
];

describe("RMSprop (α = 0.5, ε = 0.1)", () => {
  it("divides by √s + ε with s ← α·s + (1 − α)·g², no bias correction", () => {
    // Element 0: s_t = (1 − 0.5^t)·4 = 2, 3, 3.5; u = 2/(√s + 0.1) = 1.320818, 1.091673, 1.014880
    // Element 1: s = 0.5, 0.375, 0.3125; u = −1/(√0.5 + 0.1), 0.5/(√0.375 + 0.1), 0.5/(√0.3125 + 0.1)
    expectClose(trajectory({ name: "rmsprop", alpha: 0.5, epsilon: 0.1, momentum: 0 }, 0, GR), [
      [0.8679182, -1.8761007],
      [0.758751, -1.9462887],
      [0.6572708, -2.0221592],
    ]);
  });

  it("momentum 0.5 accumulates the normalised step: buf ← 0.5·buf + u, p ← p − lr·buf", () => {
    // Element 0: buf = 1.320818, 0.5·1.320818 + 1.091673 = 1.752082, 0.5·1.752082 + 1.014880 = 1.890921
    expectClose(trajectory({ name: "rmsprop", alpha: 0.5, epsilon: 0.1, momentum: 0.5 }, 0, GR), [
      [0.8679182, -1.8761007],
      [0.6927101, -1.884339],
      [0.5036258, -1.9643287],
    ]);
  });
});

describe("Adagrad (initial accumulator 0.5, ε = 0.1)", () => {
  it("divides by √Σg² + ε, the sum starting at the initial accumulator", () => {
    // Element 0: Σ = 0.5 + 4t = 4.5, 8.5, 12.5; u = 2/(√Σ + 0.1) = 0.900365, 0.663245, 0.550126
    // Element 1: Σ = 1.5, 1.75, 2.0; u = −1/(√1.5 + 0.1), 0.5/(√1.75 + 0.1), 0.5/(√2 + 0.1)
    expectClose(trajectory({ name: "adagrad", initialAccumulator: 0.5, epsilon: 0.1 }, 0, GR), [
      [0.9099635, -1.9245138],
      [0.8436389, -1.9596539],
      [0.7886264, -1.9926743],
    ]);
  });
});
