import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { init } from "@jax-js/jax";
import type { TrainingConfig } from "@layerlab/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { createOptimizer } from "../src/optim";
import { maxAbsDiff, runOptimizer, type Values } from "./fixtures/optim-harness";

/*
 * Every optimizer and option against real torch.optim (1.13) trajectories: the
 * same initial parameters, the same 10 gradients, the same per-step learning
 * rates (they change, as under a schedule), parameters compared after every step.
 *
 * PyTorch is an oracle, not an optional extra: CI installs Debian's python3-torch,
 * so a missing torch fails this suite with the fix in the message instead of
 * skipping it and letting a wrong optimizer pass.
 */

const PYTHON = process.env.LAYERLAB_TORCH_PYTHON ?? "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./fixtures/torch_optim_trajectory.py", import.meta.url));
const STEPS = 10;
const TOLERANCE = 1e-5;

type Case = { label: string; optimizer: TrainingConfig["optimizer"]; weightDecay: number; baseLearningRate: number };

const sgd = (momentum: number, nesterov: boolean) => ({ name: "sgd" as const, momentum, nesterov });
const adamDefaults = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const CASES: Case[] = [
  { label: "sgd", optimizer: sgd(0, false), weightDecay: 0, baseLearningRate: 0.1 },
  { label: "sgd + weight decay", optimizer: sgd(0, false), weightDecay: 0.05, baseLearningRate: 0.1 },
  { label: "sgd momentum", optimizer: sgd(0.9, false), weightDecay: 0, baseLearningRate: 0.1 },
  { label: "sgd momentum + weight decay", optimizer: sgd(0.9, false), weightDecay: 0.01, baseLearningRate: 0.1 },
  { label: "sgd nesterov", optimizer: sgd(0.9, true), weightDecay: 0, baseLearningRate: 0.1 },
  { label: "sgd nesterov + weight decay", optimizer: sgd(0.8, true), weightDecay: 0.01, baseLearningRate: 0.1 },
  { label: "adam", optimizer: { name: "adam", ...adamDefaults }, weightDecay: 0, baseLearningRate: 0.01 },
  {
    label: "adam custom betas/eps + weight decay",
    optimizer: { name: "adam", beta1: 0.8, beta2: 0.99, epsilon: 1e-3 },
    weightDecay: 0.01,
    baseLearningRate: 0.02,
  },
  { label: "adamw", optimizer: { name: "adamw", ...adamDefaults }, weightDecay: 0.01, baseLearningRate: 0.01 },
  {
    label: "adamw custom betas/eps, strong decay",
    optimizer: { name: "adamw", beta1: 0.5, beta2: 0.9, epsilon: 1e-4 },
    weightDecay: 0.2,
    baseLearningRate: 0.05,
  },
  {
    label: "adamw without decay",
    optimizer: { name: "adamw", ...adamDefaults },
    weightDecay: 0,
    baseLearningRate: 0.01,
  },
  {
    label: "rmsprop",
    optimizer: { name: "rmsprop", alpha: 0.99, epsilon: 1e-8, momentum: 0 },
    weightDecay: 0,
    baseLearningRate: 0.01,
  },
  {
    label: "rmsprop momentum + weight decay",
    optimizer: { name: "rmsprop", alpha: 0.9, epsilon: 1e-6, momentum: 0.9 },
    weightDecay: 0.01,
    baseLearningRate: 0.01,
  },
  {
    label: "adagrad",
    optimizer: { name: "adagrad", epsilon: 1e-10, initialAccumulator: 0 },
    weightDecay: 0,
    baseLearningRate: 0.1,
  },
  {
    label: "adagrad initial accumulator + weight decay",
    optimizer: { name: "adagrad", epsilon: 1e-6, initialAccumulator: 0.1 },
    weightDecay: 0.01,
    baseLearningRate: 0.1,
  },
];

// Warm-up, plateau, then step decays: momentum buffers must not fold the learning rate in.
const LR_FACTORS = [0.25, 0.5, 0.75, 1, 1, 0.6, 0.6, 0.36, 0.36, 0.2];

/** Deterministic values in [−1, 1) (a linear congruential generator), so the data needs no file. */
function numbers(seed: number, count: number): number[] {
  let s = seed;
  return Array.from({ length: count }, () => {
    s = (s * 1664525 + 1013904223) % 2 ** 32;
    return Math.round((s / 2 ** 31 - 1) * 1e4) / 1e4;
  });
}
const matrix = (seed: number, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, r) => numbers(seed * 100 + r, cols));

// A small two-layer network's worth of parameters, named as the trainer names them.
const INITIAL: Values = { "0.weight": matrix(1, 3, 4), "0.bias": numbers(2, 3), "2.weight": matrix(3, 2, 3) };
const GRADS: Values[] = Array.from({ length: STEPS }, (_, t) => ({
  "0.weight": matrix(10 + t, 3, 4),
  "0.bias": numbers(30 + t, 3),
  // One gradient 1000× smaller than the rest, where ε and float32 rounding matter.
  "2.weight": matrix(50 + t, 2, 3).map((row, r) => (r === 0 ? row.map((x) => x * 1e-3) : row)),
}));

let torchTrajectories: Values[][] = [];

beforeAll(async () => {
  await init("wasm");
  const request = {
    cases: CASES.map((c) => ({
      optimizer: c.optimizer,
      weightDecay: c.weightDecay,
      params: INITIAL,
      grads: GRADS,
      learningRates: LR_FACTORS.map((f) => c.baseLearningRate * f),
    })),
  };
  const result = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(request), encoding: "utf8", timeout: 120_000 });
  if (result.error || result.status !== 0) {
    throw new Error(
      `the PyTorch oracle could not run (${PYTHON} ${SCRIPT}): ${result.error?.message ?? result.stderr.trim()}\n` +
        "Install PyTorch for that interpreter (Debian: apt-get install python3-torch; CI does), " +
        "or point LAYERLAB_TORCH_PYTHON at a python3 that can `import torch`.",
    );
  }
  torchTrajectories = (JSON.parse(result.stdout) as { trajectories: Values[][] }).trajectories;
}, 120_000);

describe("optimizers match torch.optim over 10 steps with a changing learning rate", () => {
  CASES.forEach((c, i) => {
    it(c.label, () => {
      const ours = runOptimizer(
        createOptimizer(c.optimizer, c.weightDecay),
        INITIAL,
        GRADS,
        LR_FACTORS.map((f) => c.baseLearningRate * f),
        "eager",
      ).trajectory;
      const torch = torchTrajectories[i]!;
      expect(torch).toHaveLength(STEPS);
      torch.forEach((expected, t) => {
        expect(maxAbsDiff(ours[t], expected), `step ${t + 1}`).toBeLessThan(TOLERANCE);
      });
      // The run must actually move: a no-op optimizer would match nothing above, but say so plainly.
      expect(maxAbsDiff(ours[STEPS - 1], INITIAL)).toBeGreaterThan(1e-3);
    });
  });
});
