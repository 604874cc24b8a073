/**
 * Cost of the engine's per-layer gradient statistics: MLP 784-128-64-10 steady-state
 * training throughput with `gradientStats` off and on, alternated to share the noise
 * (`tsx bench/gradient-stats-cost.ts`).
 */
import { train } from "@layerlab/engine";
import { MNIST_MLP, syntheticMnist } from "./workloads";

async function rate(gradientStats: boolean, steps: number): Promise<number> {
  const warmup = 30;
  const run = train({
    spec: MNIST_MLP.spec,
    config: { ...MNIST_MLP.config, epochs: 1, validationSplit: 0 },
    dataset: syntheticMnist((warmup + steps + 1) * 64),
    logEvery: 10,
    evaluateTest: false,
    gradientStats,
  });
  let t0 = 0;
  let t1 = 0;
  let s0 = 0;
  let s1 = 0;
  for await (const e of run) {
    if (e.type !== "batch") continue;
    if (e.step <= warmup) [t0, s0] = [performance.now(), e.step];
    else [t1, s1] = [performance.now(), e.step];
  }
  run.dispose();
  return ((s1 - s0) * 64) / ((t1 - t0) / 1000);
}

const off: number[] = [];
const on: number[] = [];
for (let i = 0; i < 4; i++) {
  off.push(await rate(false, 400));
  on.push(await rate(true, 400));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    off: off.map(Math.round),
    on: on.map(Math.round),
    medianOff: median(off),
    medianOn: median(on),
    cost: 1 - median(on) / median(off),
  }),
);
