import type { RunRow } from "../db/schema";
import { runDir } from "../runs/run-files";
import type { JobDataset, JobInput } from "./job-types";

/** The job that trains (or continues) a registered server run. */
export function jobInputFor(row: RunRow, dataDir: string, dataset: JobDataset): JobInput {
  return {
    runId: row.id,
    runDir: runDir(dataDir, row.id),
    dataDir,
    name: row.name,
    spec: JSON.parse(row.spec),
    config: JSON.parse(row.config),
    dataset,
    limit: row.train_limit,
  };
}
