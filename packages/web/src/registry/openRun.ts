import { upgradeSpecFormat } from "@layerlab/spec";
import { getRun, type RunDetail, type RunSummary } from "../api/client";
import { type DatasetChoice, DEFAULT_DATASET } from "../data/datasets";
import type { Studio } from "../state/studio";
import { settleOrphanedRuns } from "../train/orphanedRuns";
import { attachServerRun } from "../train/serverRuns";
import { trainer } from "../train/trainer";
import { getStoredRun, type StoredRun, storedRunSummary } from "./localRunStore";

/*
 * Opening a registered run: its setup and summary from the server or from this
 * browser's store, and its events and results in the page's trainer, so the
 * same dashboard and results views show it.
 */

/** A run opened for viewing: what the registry says of it and the setup it trained. */
export interface OpenedRun {
  summary: RunSummary;
  studio: Studio;
  /** Whether the run is kept by this browser (no server) rather than by the server's registry. */
  local: boolean;
}

/** Whether run `id` lives in this browser's store: those ids are made by this page. */
export function isLocalRunId(id: string): boolean {
  return id.startsWith("browser-");
}

/** The dataset choice that trains a registry run's dataset again (the server's shapes are the default choice). */
export function datasetChoiceOf(
  dataset: string,
  spec: { input: { shape: number[] }; classes: string[] },
): DatasetChoice {
  if (dataset === "shapes") return DEFAULT_DATASET;
  return { kind: "server", id: dataset, shape: spec.input.shape as [number, number, number], classes: spec.classes };
}

/** Statuses of a stored run whose events have no end: opened by a page that is not training it, it was interrupted. */
const UNFINISHED = ["queued", "running", "interrupted"];

/** Loads run `id` into the page's trainer (events, results, model) and returns what the registry says of it. */
export async function openRun(id: string): Promise<OpenedRun> {
  // A browser run whose page is gone is recorded as interrupted first, so it opens as one (with Resume).
  await settleOrphanedRuns();
  return isLocalRunId(id) ? openStoredRun(id) : openServerRun(id);
}

/** The studio a server run was made from; its results view downloads the test split by the server's dataset id. */
export function studioOfServerRun(detail: RunDetail): Studio {
  return {
    // A run created before graphs stored "layerlab.model/1": opened as today's format.
    spec: upgradeSpecFormat(detail.spec),
    config: detail.config,
    dataset: {
      kind: "server",
      id: detail.dataset,
      shape: detail.spec.input.shape as [number, number, number],
      classes: detail.spec.classes,
    },
  };
}

async function openServerRun(id: string): Promise<OpenedRun> {
  const detail = await getRun(id);
  const studio = studioOfServerRun(detail);
  // A run this page trains follows its worker; any other is followed (again) on the server, which
  // picks up a run resumed since the page last followed it.
  const held = trainer.getState().runs.find((r) => r.id === id);
  if (held?.where === "browser") trainer.select(id);
  else attachServerRun(id, detail.name, held?.studio ?? studio);
  // A browser run whose page is gone stays "running" in the registry; this page did not train it.
  trainer.setRegistry(id, { registryStatus: detail.status });
  return {
    summary: detail,
    studio: { ...studio, dataset: datasetChoiceOf(detail.dataset, detail.spec) },
    local: false,
  };
}

async function openStoredRun(id: string): Promise<OpenedRun> {
  const stored = await getStoredRun(id);
  if (!stored) throw new Error(`this browser keeps no run ${id}; it was deleted, or trained in another browser`);
  const held = trainer.getState().runs.find((r) => r.id === id);
  if (held) trainer.select(id);
  else {
    trainer.watch({ id, name: stored.name, where: "browser", studio: stored.studio, registered: "local" });
    for (const e of stored.events) trainer.pushEvent(id, e);
    if (stored.results) trainer.setResults(id, stored.results);
    // Its page is gone: a run it left unfinished was interrupted.
    if (UNFINISHED.includes(stored.status)) trainer.setRegistry(id, { registryStatus: "interrupted" });
    if (stored.results?.weights) await loadStoredModel(stored);
  }
  const summary = storedRunSummary(stored);
  if (!held && UNFINISHED.includes(stored.status)) summary.status = "interrupted";
  return { summary, studio: { ...stored.studio, spec: upgradeSpecFormat(stored.studio.spec) }, local: true };
}

/** Loads stored run `stored`'s model into the page's engine worker, so that drawing and the inside views answer for it. */
export function loadStoredModel(stored: StoredRun): Promise<void> {
  const { weights, normalization } = stored.results ?? {};
  if (!weights || !normalization) return Promise.reject(new Error(`run ${stored.name} has no weights`));
  return trainer.loadModel(stored.id, stored.studio.spec, async () => ({ weights: weights.slice(), normalization }));
}
