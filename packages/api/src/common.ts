import { z } from "zod";

/** The browsable page of the API's OpenAPI document (the document itself is /api/docs). */
export const API_DOCS_PAGE = "/api/docs/ui";

/** Every error answer: `{error}` says what is wrong and how to fix it; some routes add fields (say the duplicate run). */
export const ErrorBody = z
  .looseObject({ error: z.string() })
  .meta({ description: "What went wrong and how to fix it" });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Where a run trains: on the server, in a browser, or elsewhere (`import`: a finished model imported with POST /api/runs/import). */
export const Executor = z.enum(["server", "browser", "import"]);
export type Executor = z.infer<typeof Executor>;

/** A run's life: queued → running → succeeded | failed | aborted | diverged | interrupted. */
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "aborted", "diverged", "interrupted"] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

/** Statuses a run never leaves on its own (it may still be resumed when interrupted or failed). */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = [
  "succeeded",
  "failed",
  "aborted",
  "diverged",
  "interrupted",
];

/** `:id` of a run route. */
export const RunIdParams = z.object({ id: z.string().max(64) });
export type RunIdParams = z.infer<typeof RunIdParams>;
