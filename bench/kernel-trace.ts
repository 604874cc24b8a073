/**
 * Where a training step's time goes, kernel by kernel (not a test): trains a
 * bench workload with the engine on jax-js Wasm, single thread, with jax-js's
 * profiler on for the measured steps, and prints the kernels grouped by what
 * they compute, with their time per step.
 *
 *   npx tsx bench/kernel-trace.ts [mnist-cnn|mnist-mlp] [steps] [top]
 *   CONV_POOL_FUSION=0 npx tsx bench/kernel-trace.ts …   (first conv and pool as separate layers)
 *   NATIVE_CONV=0 npx tsx bench/kernel-trace.ts …        (the convolutions in jax-js, not the own kernels)
 *
 * On one thread jax-js runs each kernel synchronously, so a trace entry is
 * that kernel's whole run time. With worker threads an entry would only time
 * the dispatch, hence no threads here. Times are this process's CPU time
 * (`WALL_CLOCK=1` for wall time), so a loaded machine distorts them less.
 */
import { keepWasmSingleThreaded } from "../packages/engine/src/threads";
import { samplesFor, syntheticMnist, WORKLOADS } from "./workloads";

keepWasmSingleThreaded();
// The machine is shared: wall time per kernel swings with the load, this
// process's CPU time much less. jax-js times kernels with performance.now().
const wallNow = performance.now.bind(performance);
if (process.env.WALL_CLOCK !== "1") {
  performance.now = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
}
const { profiler } = await import("@jax-js/jax");
const { setConvPoolFusion, setConvStack, train } = await import("@layerlab/engine");
// CONV_POOL_FUSION=0 runs the first conv and its pool as separate layers, for an A/B comparison.
setConvPoolFusion(process.env.CONV_POOL_FUSION !== "0");
// NATIVE_CONV=0 trains the leading convolutions in jax-js instead of the project's own Wasm kernels.
setConvStack(process.env.NATIVE_CONV !== "0");

const name = process.argv[2] ?? "mnist-cnn";
const steps = Number(process.argv[3] ?? 30);
const top = Number(process.argv[4] ?? 25);
const workload = WORKLOADS.find((w) => w.name === name);
if (!workload) throw new Error(`unknown workload '${name}'`);

const warmup = 10;
const plan = { warmupSteps: warmup, steps };
const dataset = syntheticMnist(samplesFor(plan));

interface Group {
  label: string;
  detail: string;
  count: number;
  ms: number;
}
const groups = new Map<string, Group>();
let traced = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const props = (e as PerformanceMeasure).detail?.devtools?.properties as [string, string][] | undefined;
    if (!props) continue;
    const map = new Map(props);
    const detail =
      map.get("exp") !== undefined
        ? `size ${map.get("size")} ${map.get("reduction") ? `reduce ${map.get("reduction")} ` : ""}nargs ${map.get("nargs")} :: ${map.get("exp")!.slice(0, Number(process.env.EXP_CHARS ?? 160))}`
        : `${map.get("inputShapes")} -> ${map.get("outputShapes")}`;
    const key = `${e.name}|${detail}`;
    const g = groups.get(key) ?? { label: e.name, detail, count: 0, ms: 0 };
    g.count++;
    g.ms += e.duration;
    groups.set(key, g);
    traced += e.duration;
  }
  performance.clearMeasures();
});
observer.observe({ entryTypes: ["measure"] });

const run = train({
  spec: workload.spec,
  config: { ...workload.config, epochs: 1, validationSplit: 0, earlyStopping: null },
  dataset,
  limit: (warmup + steps) * 64,
  logEvery: 10,
  evaluateTest: false,
  gradientStats: false,
});
let t0 = 0;
let t1 = 0;
let wallStart = 0;
let wallEnd = 0;
for await (const ev of run) {
  if (ev.type === "batch" && ev.step === warmup) {
    profiler.startTrace();
    t0 = performance.now();
    wallStart = wallNow();
  }
  if (ev.type === "batch" && ev.step === warmup + steps) {
    t1 = performance.now();
    wallEnd = wallNow();
    profiler.stopTrace();
  }
  if (ev.type === "error") throw new Error(ev.message);
}
run.dispose();
await new Promise((r) => setTimeout(r, 50));
observer.disconnect();

const wall = (t1 - t0) / steps;
const wallMs = (wallEnd - wallStart) / steps;
const all = [...groups.values()].sort((a, b) => b.ms - a.ms);
const kernelsPerStep = all.reduce((s, g) => s + g.count, 0) / steps;
console.log(
  `${name}: ${wall.toFixed(1)} ms/step (clock), ${wallMs.toFixed(1)} ms/step wall, ${(traced / steps).toFixed(1)} ms/step in ${kernelsPerStep.toFixed(0)} kernels`,
);
for (const g of all.slice(0, top)) {
  console.log(
    `${(g.ms / steps).toFixed(2).padStart(7)} ms ${String(g.count / steps).padStart(4)}× ${g.label.padEnd(14)} ${g.detail}`,
  );
}
