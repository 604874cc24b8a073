import { grad, init, numpy as np } from "@jax-js/jax";
import { beforeAll, describe, expect, it } from "vitest";
import { correctCount, softmaxCrossEntropy } from "../src/loss";

beforeAll(async () => {
  await init("wasm");
});

const logits = [
  [2.0, -1.0, 0.5],
  [0.1, 0.2, 0.3],
];
const labels = [0, 2];

/** Closed-form cross-entropy with smoothing, in float64 JS. */
function reference(z: number[][], y: number[], eps: number): number {
  let total = 0;
  z.forEach((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    row.forEach((v, c) => {
      const t = (c === y[i] ? 1 - eps : 0) + eps / row.length;
      total -= t * (v - lse);
    });
  });
  return total / z.length;
}

describe("softmax cross-entropy", () => {
  for (const eps of [0, 0.1]) {
    it(`matches the closed form and its finite-difference gradient (label smoothing ${eps})`, async () => {
      const loss = softmaxCrossEntropy(np.array(logits), np.array(labels, { dtype: np.int32 }), eps);
      expect((await loss.data())[0]).toBeCloseTo(reference(logits, labels, eps), 5);
      const g = grad((z: np.Array) => softmaxCrossEntropy(z, np.array(labels, { dtype: np.int32 }), eps))(
        np.array(logits),
      );
      const analytic = await g.data();
      const h = 1e-4;
      logits.forEach((row, i) => {
        row.forEach((_, c) => {
          const plus = logits.map((r) => [...r]);
          const minus = logits.map((r) => [...r]);
          plus[i]![c]! += h;
          minus[i]![c]! -= h;
          const numeric = (reference(plus, labels, eps) - reference(minus, labels, eps)) / (2 * h);
          expect(analytic[i * 3 + c]).toBeCloseTo(numeric, 4);
        });
      });
    });
  }

  it("counts rows whose arg-max is the label", async () => {
    const n = correctCount(np.array(logits), np.array([0, 1], { dtype: np.int32 }));
    expect((await n.data())[0]).toBe(1);
  });
});
