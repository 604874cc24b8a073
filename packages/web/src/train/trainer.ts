import type { SaliencyMap, SaliencyRequest } from "@layerlab/engine";
import { prefersWasmThreads } from "@layerlab/engine/threads";
import type { Backend, DeadUnits, LayerCost, ModelSpecInput, TrainEvent } from "@layerlab/spec";
import { TERMINAL_EVENT_TYPES } from "@layerlab/spec";
import { appendEvent, emptySeries, type RunSeries } from "../charts/series";
import { drawnShapes } from "../data/shapesCache";
import type { Studio } from "../state/studio";
import type {
  EpochViewAnswer,
  EpochViewSet,
  FromWorker,
  Inspection,
  ResumeFrom,
  RunNormalization,
  TestImages,
  ToWorker,
  WasmMode,
} from "./protocol";

/** Test metrics and images of a finished run, for the results views. */
export interface RunResults {
  loss: number;
  accuracy: number;
  confusion: number[][];
  perClass: { precision: number; recall: number; support: number }[];
  predictions: Int32Array;
  test: TestImages;
  weights: Uint8Array | null;
  /** The training set's per-channel mean/std (browser runs; exports record it). */
  normalization?: RunNormalization;
  /** Share of each ReLU layer's units that never fired on the first test images (the doctor reads it). */
  deadUnits?: DeadUnits[];
  /** Why `predictions` is empty, when the run has none per test image (an old run without weights). */
  predictionsMissing?: string;
}

/** Where a browser run's kernels run: the backend and, on Wasm, how many threads. */
export interface RunEngine {
  backend: Backend;
  threads: number;
  /** Threads of the engine's own conv kernels, when they train the model's leading convolutions. */
  convThreads?: number;
}

const threadCount = (n: number) => `${n} thread${n === 1 ? "" : "s"}`;

/**
 * The badge text for `engine`: "WebGPU", "Wasm, 1 thread", "Wasm, N threads", or, when the engine's own conv
 * kernels train the convolutions, "Wasm, convolutions on N threads, the rest on 1".
 */
export function engineLabel(engine: RunEngine): string {
  if (engine.backend === "webgpu") return "WebGPU";
  const name = engine.backend === "wasm" ? "Wasm" : engine.backend;
  if (engine.convThreads !== undefined) {
    return `${name}, convolutions on ${threadCount(engine.convThreads)}, the rest on ${engine.threads}`;
  }
  return `${name}, ${threadCount(engine.threads)}`;
}

/**
 * Which worker trains `spec`: in a cross-origin-isolated page jax-js would run
 * every Wasm kernel on its pool, which pays off for conv nets only, so dense
 * nets go to a worker kept on one thread. Elsewhere there is no pool: one worker.
 */
export function wasmModeFor(spec: { layers: readonly { kind: string }[] }, isolated: boolean): WasmMode {
  return isolated && !prefersWasmThreads(spec) ? "single" : "pool";
}

/** Models of runs trained elsewhere that the page keeps in its workers; loading one more frees the oldest. */
export const KEEP_LOADED_MODELS = 4;

/** A finished run's weights (its safetensors file) and the normalisation it trained with, as `Trainer.loadModel` takes them. */
export interface ModelFiles {
  weights: Uint8Array;
  normalization: RunNormalization;
}

/** A run this page trained or watched: its setup, its event series and, once done, its results. */
export interface LocalRun {
  id: string;
  name: string;
  where: "browser" | "server";
  studio: Studio;
  series: RunSeries;
  results: RunResults | null;
  /** Bumped on every event so views know to redraw. */
  version: number;
  /** Where a browser run trains, once its worker says. */
  engine?: RunEngine;
  /** Where a server run waits (1 = next), while it is queued. */
  queuePosition?: number | null;
  /** The registry's status when it knows better than the events (an interrupted run has no end event). */
  registryStatus?: string;
  /** Where a browser run is registered: the server's registry or this browser's store. */
  registered?: "server" | "local";
}

/** What a browser run's worker reported: an event, its resume point at an epoch's end or, once done, the results. */
export type RunChange =
  | { type: "event"; event: TrainEvent }
  | { type: "resumePoint"; point: Uint8Array; epochsDone: number }
  | { type: "results"; results: RunResults };

/** A cost measurement and where it ran, or why there is none. */
export interface CostAnswer {
  cost: LayerCost | null;
  engine?: RunEngine;
  error?: string;
}

/** What the training views subscribe to. */
export interface TrainerState {
  backend: Backend | null;
  isolated: boolean;
  engineError: string | null;
  runs: LocalRun[];
  activeId: string | null;
  version: number;
}

type Listener = () => void;

/**
 * The page's side of in-browser training: owns the module worker (created on
 * first use, so the engine is not in the first screen's JavaScript), turns
 * its messages into per-run series, and answers predictions.
 */
export class Trainer {
  #state: TrainerState = { backend: null, isolated: false, engineError: null, runs: [], activeId: null, version: 0 };
  #listeners = new Set<Listener>();
  #workers = new Map<WasmMode, Worker>();
  /** Which worker holds each browser run's model. */
  #runWorker = new Map<string, WasmMode>();
  #pending = new Map<number, (p: { probabilities: Float32Array | null; error?: string }) => void>();
  #pendingInspections = new Map<number, (p: { inspection: Inspection | null; error?: string }) => void>();
  #pendingSaliency = new Map<number, (p: { saliency: SaliencyMap | null; error?: string }) => void>();
  #pendingEpochViews = new Map<number, (p: { view: EpochViewAnswer | null; error?: string }) => void>();
  #pendingCosts = new Map<
    number,
    { answer: (a: CostAnswer) => void; progress?: (done: number, total: number) => void }
  >();
  /** Runs loaded (or loading) into a worker by `loadModel`, oldest first; `settled` once the worker answered. */
  #loads = new Map<string, { done: Promise<void>; settled: boolean }>();
  #pendingLoads = new Map<string, (error?: string) => void>();
  #nextId = 1;
  #count = 0;
  #observers = new Map<string, Set<(change: RunChange) => void>>();
  /** Browser runs training in this tab's workers now (a resumed one's series ends with its earlier stop until its new start). */
  #training = new Set<string>();

  /** Calls `listener` with every event and the results browser run `runId`'s worker reports; returns the unsubscribe function. */
  observe(runId: string, listener: (change: RunChange) => void): () => void {
    const set = this.#observers.get(runId) ?? new Set();
    set.add(listener);
    this.#observers.set(runId, set);
    return () => set.delete(listener);
  }

  #tell(runId: string, change: RunChange) {
    for (const l of this.#observers.get(runId) ?? []) l(change);
  }

  /** Adds a line to run `id`'s log without an event (a note of the page's own, e.g. a failed upload). */
  note(id: string, level: "info" | "warn" | "error", message: string) {
    const run = this.#state.runs.find((r) => r.id === id);
    if (!run) return;
    run.series.logs.push({ level, message, time: Date.now() });
    this.#update(id, (r) => ({ ...r, version: r.version + 1 }));
  }

  /** Records what the registry says of run `id` (its status, where it is registered). */
  setRegistry(id: string, patch: Pick<LocalRun, "registryStatus" | "registered">) {
    this.#update(id, (r) => ({ ...r, ...patch, version: r.version + 1 }));
  }

  /** The current snapshot (replaced, not mutated, on every change). */
  getState = (): TrainerState => this.#state;

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  #notifyScheduled = false;

  #emit(patch: Partial<TrainerState>) {
    this.#state = { ...this.#state, ...patch, version: this.#state.version + 1 };
    // A dense net on one Wasm thread sends thousands of events a second: render once a frame,
    // not once an event, or the page stops answering clicks (Abort!) while it trains.
    if (this.#notifyScheduled) return;
    this.#notifyScheduled = true;
    const notify = () => {
      this.#notifyScheduled = false;
      for (const l of this.#listeners) l();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(notify);
    else queueMicrotask(notify);
  }

  /** Starts the worker in `mode` (the pooled one by default, as the page's badge shows) and its engine if not yet started. */
  ensureWorker(mode: WasmMode = "pool"): Worker {
    const existing = this.#workers.get(mode);
    if (existing) return existing;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: `layerlab-engine-${mode}`,
    });
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(e.data);
    worker.onerror = (e) => this.#engineFailed(`the engine worker failed: ${e.message || "unknown error"}`);
    worker.postMessage({ type: "configure", mode } satisfies ToWorker);
    this.#workers.set(mode, worker);
    return worker;
  }

  #send(msg: ToWorker, mode: WasmMode = "pool", transfer: Transferable[] = []) {
    this.ensureWorker(mode).postMessage(msg, transfer);
  }

  /** The worker holding run `runId`'s model. */
  #modeOf(runId: string): WasmMode {
    return this.#runWorker.get(runId) ?? "pool";
  }

  #active(): LocalRun | undefined {
    return this.#state.runs.find((r) => r.id === this.#state.activeId);
  }

  #update(id: string, change: (run: LocalRun) => LocalRun) {
    this.#emit({ runs: this.#state.runs.map((r) => (r.id === id ? change(r) : r)) });
  }

  #onMessage(msg: FromWorker) {
    switch (msg.type) {
      case "ready":
        // The page's badge describes the default (pooled) worker.
        if (msg.mode === "pool" || this.#state.backend === null)
          this.#emit({ backend: msg.backend, isolated: msg.isolated });
        break;
      case "started":
        this.#update(msg.runId, (r) => ({ ...r, engine: msg.engine, version: r.version + 1 }));
        break;
      case "event":
        if (isTerminal(msg.event)) this.#training.delete(msg.runId);
        // Its events say how it stands from now on, not what the registry said before this tab trained it.
        if (msg.event.type === "start") this.#update(msg.runId, ({ registryStatus: _before, ...r }) => r);
        this.pushEvent(msg.runId, msg.event);
        this.#tell(msg.runId, { type: "event", event: msg.event });
        break;
      case "resumePoint":
        this.#tell(msg.runId, { type: "resumePoint", point: msg.point, epochsDone: msg.epochsDone });
        break;
      case "results": {
        const { evaluation, test, weights, normalization } = msg;
        const results: RunResults = { ...evaluation, test, weights, normalization };
        this.#update(msg.runId, (r) => ({ ...r, version: r.version + 1, results }));
        this.#tell(msg.runId, { type: "results", results });
        break;
      }
      case "prediction":
        this.#pending.get(msg.id)?.(msg);
        this.#pending.delete(msg.id);
        break;
      case "inspection":
        this.#pendingInspections.get(msg.id)?.(msg);
        this.#pendingInspections.delete(msg.id);
        break;
      case "saliency":
        this.#pendingSaliency.get(msg.id)?.(msg);
        this.#pendingSaliency.delete(msg.id);
        break;
      case "epochView":
        this.#pendingEpochViews.get(msg.id)?.(msg);
        this.#pendingEpochViews.delete(msg.id);
        break;
      case "costProgress":
        this.#pendingCosts.get(msg.id)?.progress?.(msg.done, msg.total);
        break;
      case "cost":
        this.#pendingCosts.get(msg.id)?.answer(msg);
        this.#pendingCosts.delete(msg.id);
        break;
      case "loaded":
        this.#pendingLoads.get(msg.runId)?.(msg.error);
        this.#pendingLoads.delete(msg.runId);
        break;
      case "failed": {
        const run = this.#state.runs.find((r) => r.id === msg.runId);
        if (run && (!run.series.end || this.#training.has(run.id))) {
          this.#training.delete(run.id);
          const event: TrainEvent = {
            seq: run.series.lastSeq + 1,
            time: Date.now(),
            type: "error",
            message: msg.message,
          };
          this.pushEvent(run.id, event);
          this.#tell(run.id, { type: "event", event });
        } else {
          this.#engineFailed(msg.message);
        }
        break;
      }
    }
  }

  /** Shows an engine failure; loads and cost measurements waiting for an answer get it as their error. */
  #engineFailed(message: string) {
    for (const fail of this.#pendingLoads.values()) fail(message);
    this.#pendingLoads.clear();
    for (const pending of this.#pendingCosts.values()) pending.answer({ cost: null, error: message });
    this.#pendingCosts.clear();
    this.#emit({ engineError: message });
  }

  /** Whether the active run is still going. */
  isRunning(): boolean {
    const run = this.#active();
    return Boolean(run && this.isTraining(run.id));
  }

  /** Whether browser run `id` is training in this tab now (a resumed one included, before its new start event). */
  isTraining(id: string): boolean {
    return this.#training.has(id);
  }

  /**
   * Trains `studio` in this browser; `limit` trains on the first N samples only; `id` is the registry's id when
   * it has one. With `resume`, run `id` continues from its resume point: the events it has stay in its series.
   */
  start(
    studio: Studio,
    opts: { limit?: number; serverData?: ArrayBuffer; name?: string; id?: string; resume?: ResumeFrom } = {},
  ): string {
    this.#count++;
    const id = opts.id ?? `local-${this.#count}`;
    const held = opts.resume ? this.#state.runs.find((r) => r.id === id) : undefined;
    if (held) {
      // Trained here from now on (it may have been followed on the server until now); results come again at its end.
      const { engine: _engine, queuePosition: _queued, ...rest } = held;
      const resumed: LocalRun = { ...rest, where: "browser", studio, results: null, version: held.version + 1 };
      this.#emit({ runs: this.#state.runs.map((r) => (r.id === id ? resumed : r)), activeId: id });
    } else {
      const run: LocalRun = {
        id,
        name: opts.name ?? `browser run ${this.#count}`,
        where: "browser",
        studio,
        series: emptySeries(),
        results: null,
        version: 0,
      };
      this.#emit({ runs: [...this.#state.runs.filter((r) => r.id !== id), run], activeId: id });
    }
    const msg: ToWorker = {
      type: "train",
      runId: id,
      spec: studio.spec,
      config: studio.config,
      dataset: studio.dataset,
    };
    if (opts.limit) msg.limit = opts.limit;
    if (opts.serverData) msg.serverData = opts.serverData;
    const shapes = studio.dataset.kind === "shapes" ? drawnShapes(studio.dataset) : null;
    if (shapes) msg.shapes = shapes;
    if (opts.resume) msg.resume = opts.resume;
    // A model loaded for viewing under this id is replaced by the run's own.
    if (this.#loads.delete(id)) this.#send({ type: "unload", runId: id }, this.#modeOf(id));
    this.#training.add(id);
    const mode = wasmModeFor(studio.spec, globalThis.crossOriginIsolated === true);
    this.#runWorker.set(id, mode);
    this.#send(msg, mode, opts.resume ? [opts.resume.point.buffer] : []);
    return id;
  }

  /** Asks the worker to stop run `id`; it answers with an `aborted` event. */
  abort(id: string) {
    this.#send({ type: "abort", runId: id }, this.#modeOf(id));
  }

  /** Adds a run watched elsewhere (a server run) so the same dashboard shows it. */
  watch(run: Omit<LocalRun, "version" | "series" | "results">): LocalRun {
    const existing = this.#state.runs.find((r) => r.id === run.id);
    if (existing) {
      this.#emit({ activeId: run.id });
      return existing;
    }
    const full: LocalRun = { ...run, series: emptySeries(), results: null, version: 0 };
    this.#emit({ runs: [...this.#state.runs, full], activeId: run.id });
    return full;
  }

  /** Folds a server event into run `id`'s series (replays are skipped by seq). */
  pushEvent(id: string, event: TrainEvent) {
    const run = this.#state.runs.find((r) => r.id === id);
    if (!run || !appendEvent(run.series, event)) return;
    this.#emit({ runs: this.#state.runs.map((r) => (r.id === id ? { ...r, version: r.version + 1 } : r)) });
  }

  /** Attaches results fetched from elsewhere to run `id`. */
  setResults(id: string, results: RunResults) {
    this.#emit({ runs: this.#state.runs.map((r) => (r.id === id ? { ...r, results, version: r.version + 1 } : r)) });
  }

  /** Records where server run `id` waits in the queue. */
  setQueuePosition(id: string, queuePosition: number | null) {
    this.#emit({ runs: this.#state.runs.map((r) => (r.id === id ? { ...r, queuePosition } : r)) });
  }

  /** Selects which run the dashboard shows. */
  select(id: string) {
    this.#emit({ activeId: id });
  }

  /** Probabilities of the in-page model for raw pixels in [0, 1]; null with a reason when there is no model. */
  predict(runId: string, pixels: Float32Array): Promise<{ probabilities: Float32Array | null; error?: string }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#send({ type: "predict", id, runId, pixels }, this.#modeOf(runId));
    });
  }

  /** Every layer's output and the weights of the in-page model for raw pixels in [0, 1]; null with a reason when there is no model. */
  inspect(runId: string, pixels: Float32Array): Promise<{ inspection: Inspection | null; error?: string }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pendingInspections.set(id, resolve);
      this.#send({ type: "inspect", id, runId, pixels }, this.#modeOf(runId));
    });
  }

  /** Which pixels of raw `pixels` in [0, 1] drove the in-page model's score for a class; null with a reason when it cannot say. */
  saliency(
    runId: string,
    pixels: Float32Array,
    request: SaliencyRequest,
  ): Promise<{ saliency: SaliencyMap | null; error?: string }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pendingSaliency.set(id, resolve);
      this.#send({ type: "saliency", id, runId, pixels, request }, this.#modeOf(runId));
    });
  }

  /**
   * Runs the model held for `runId` (see `loadModel`) over the uint8 images of `set`: the probabilities of
   * those at `sampleIndices` and the loss, accuracy and confusion matrix of the first `limit`; null with a reason when it cannot.
   */
  epochView(
    runId: string,
    set: EpochViewSet,
    sampleIndices: number[],
    limit: number,
  ): Promise<{ view: EpochViewAnswer | null; error?: string }> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pendingEpochViews.set(id, resolve);
      this.#send({ type: "epochView", id, runId, set, sampleIndices, limit }, this.#modeOf(runId));
    });
  }

  /**
   * Measures each layer of `spec` (forward and backward times at `batchSize`, inference latency) on this device,
   * in the worker that would train it, so the page stays responsive; `onProgress` hears each finished measurement.
   */
  measureCost(
    spec: ModelSpecInput,
    batchSize: number,
    onProgress?: (done: number, total: number) => void,
  ): Promise<CostAnswer> {
    const id = this.#nextId++;
    return new Promise((answer) => {
      this.#pendingCosts.set(id, { answer, ...(onProgress && { progress: onProgress }) });
      this.#send(
        { type: "measureCost", id, spec, batchSize },
        wasmModeFor(spec, globalThis.crossOriginIsolated === true),
      );
    });
  }

  /**
   * Loads finished run `runId`'s model (trained elsewhere, e.g. on the server)
   * into a worker, so that `predict` and `inspect` answer for it. `files` is
   * called on the first load only; loading a held run again resolves at once.
   * Rejects with a message a person can act on when the model cannot be built.
   */
  loadModel(runId: string, spec: ModelSpecInput, files: () => Promise<ModelFiles>): Promise<void> {
    const held = this.#loads.get(runId);
    if (held) {
      // Most recently used last, so the model on screen is the last one freed.
      this.#loads.delete(runId);
      this.#loads.set(runId, held);
      return held.done;
    }
    const mode = wasmModeFor(spec, globalThis.crossOriginIsolated === true);
    const entry = { settled: false, done: Promise.resolve() };
    entry.done = files()
      .then(
        ({ weights, normalization }) =>
          new Promise<void>((resolve, reject) => {
            this.#pendingLoads.set(runId, (error) => (error ? reject(new Error(error)) : resolve()));
            this.#runWorker.set(runId, mode);
            this.#send({ type: "load", runId, spec, weights, normalization }, mode, [weights.buffer]);
          }),
      )
      .catch((err: unknown) => {
        // Forget the failure so that a later attempt tries again.
        if (this.#loads.get(runId) === entry) this.#loads.delete(runId);
        throw err;
      })
      .finally(() => {
        entry.settled = true;
      });
    this.#loads.set(runId, entry);
    this.#forgetOldModels();
    return entry.done;
  }

  /** Frees the oldest loaded models beyond KEEP_LOADED_MODELS (those still loading are left to finish). */
  #forgetOldModels() {
    const settled = [...this.#loads].filter(([, entry]) => entry.settled);
    for (const [runId] of settled.slice(0, Math.max(0, this.#loads.size - KEEP_LOADED_MODELS))) {
      this.#loads.delete(runId);
      this.#send({ type: "unload", runId }, this.#modeOf(runId));
      this.#runWorker.delete(runId);
    }
  }
}

/** Whether `event` ends a run. */
export function isTerminal(event: TrainEvent): boolean {
  return TERMINAL_EVENT_TYPES.includes(event.type);
}

/** The page's one trainer. */
export const trainer = new Trainer();
