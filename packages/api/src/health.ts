import { z } from "zod";

/** GET /api/health. */
export const Health = z.object({
  ok: z.boolean(),
  running: z.number().int(),
  queued: z.number().int(),
  time: z.number(),
  database: z
    .enum(["sqlite", "postgres"])
    .meta({ description: "Where the registry lives: SQLite under DATA_DIR, or PostgreSQL (DATABASE_URL)" }),
  llm: z.boolean().meta({ description: "Whether the doctor's findings can be explained by an LLM" }),
});
export type Health = z.infer<typeof Health>;
