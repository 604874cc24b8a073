import type { ModelSpecInput } from "@layerlab/spec";
import { useEffect, useState } from "react";
import { getRun, listRuns } from "../api/client";
import { hasLocalStore, listStoredRuns } from "../registry/localRunStore";
import { loadStoredModel } from "../registry/openRun";

/** A finished run of the registry offered for drawing: the server's (it predicts) or this browser's store (the page's worker does). */
export interface RegistryModel {
  id: string;
  name: string;
  classes: string[];
  where: "browser" | "server";
  spec: ModelSpecInput | null;
  dataset: string;
  /** For a stored run: loads its model into the page's worker (resolves at once once loaded). */
  load?: () => Promise<void>;
}

/** How many recent finished runs the drawing page offers without a search. */
const RECENT = 6;

/**
 * The most recent finished runs — from the server's registry when one answers,
 * else from this browser's store — oldest first, so the newest is the default choice.
 */
export function useRegistryModels(serverUp: boolean): RegistryModel[] {
  const [models, setModels] = useState<RegistryModel[]>([]);
  useEffect(() => {
    let live = true;
    const load = serverUp ? fromServer() : hasLocalStore() ? fromStore() : Promise.resolve([]);
    load.then(
      (found) => live && setModels(found.reverse()),
      () => live && setModels([]),
    );
    return () => {
      live = false;
    };
  }, [serverUp]);
  return models;
}

async function fromServer(): Promise<RegistryModel[]> {
  const runs = await listRuns({ status: "succeeded", sort: "createdAt", order: "desc", limit: RECENT });
  // The class names and the spec come with each run's detail.
  return Promise.all(
    runs.map(async (r) => {
      const detail = await getRun(r.id).catch(() => null);
      return {
        id: r.id,
        name: r.name,
        classes: detail ? [...detail.spec.classes] : [],
        where: "server" as const,
        spec: detail ? (detail.spec as ModelSpecInput) : null,
        dataset: r.dataset,
      };
    }),
  );
}

async function fromStore(): Promise<RegistryModel[]> {
  const runs = (await listStoredRuns()).filter((r) => r.status === "succeeded" && r.results?.weights).slice(0, RECENT);
  return runs.map((r) => ({
    id: r.id,
    name: r.name,
    classes: (r.studio.spec.classes ?? []) as string[],
    where: "browser" as const,
    spec: r.studio.spec,
    dataset: r.dataset,
    load: () => loadStoredModel(r),
  }));
}
