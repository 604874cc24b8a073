import { BUILTIN_DATASETS } from "@layerlab/data-node";
import type { Registry } from "../db/registry";
import { HttpError } from "../http-error";
import type { JobDataset } from "../jobs/job-types";

/** What a run needs to know about its dataset before training. */
export interface DatasetFacts {
  id: string;
  shape: [number, number, number];
  classes: string[];
  source: JobDataset;
}

/** Resolves a dataset name or id sent by a client; never a filesystem path. */
export async function resolveDataset(registry: Registry, name: unknown): Promise<DatasetFacts> {
  const builtins = BUILTIN_DATASETS.map((d) => d.name).join(", ");
  if (typeof name !== "string" || name === "") {
    throw new HttpError(400, `dataset is required: a built-in name (${builtins}) or the id of an imported dataset`);
  }
  const builtin = BUILTIN_DATASETS.find((d) => d.name === name);
  if (builtin) {
    return { id: name, shape: builtin.shape, classes: [...builtin.classes], source: { kind: "builtin", name } };
  }
  const saved = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) ? await registry.getDataset(name) : undefined;
  if (!saved) {
    throw new HttpError(
      400,
      `dataset "${name}" is neither a built-in (${builtins}) nor an imported dataset; see GET /api/datasets`,
    );
  }
  return { id: saved.id, shape: saved.shape, classes: saved.classes, source: { kind: "saved", id: saved.id } };
}
