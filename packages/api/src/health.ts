import { z } from "zod";
import { WorkerView } from "./workers";

/** GET /api/health. */
export const Health = z.object({
  ok: z.boolean(),
  running: z.number().int(),
  queued: z.number().int(),
  time: z.number(),
  database: z
    .enum(["sqlite", "postgres"])
    .meta({ description: "Where the registry lives: SQLite under DATA_DIR, or PostgreSQL (DATABASE_URL)" }),
  workers: z.array(WorkerView).meta({
    description: "`layerlab worker` processes seen by this server (PostgreSQL registry only; empty on SQLite)",
  }),
  llm: z.boolean().meta({ description: "Whether the doctor's findings can be explained by an LLM" }),
});
export type Health = z.infer<typeof Health>;
