import { z } from "zod";

/** GET /api/health. */
export const Health = z.object({
  ok: z.boolean(),
  running: z.number().int(),
  queued: z.number().int(),
  time: z.number(),
  llm: z.boolean().meta({ description: "Whether the doctor's findings can be explained by an LLM" }),
});
export type Health = z.infer<typeof Health>;
