import { z } from "zod";

/** One doctor finding as the page computed it, bounded so a request stays small. */
export const FindingInput = z.object({
  id: z.string().max(64),
  severity: z.enum(["info", "warning", "problem"]),
  title: z.string().max(200),
  evidence: z.string().max(2000),
  suggestion: z.string().max(2000),
});

/** POST /api/explain. */
export const ExplainBody = z.object({ findings: z.array(FindingInput).max(20) });
export type ExplainBody = z.infer<typeof ExplainBody>;

/** The explanation in plain words. */
export const Explanation = z.object({ text: z.string().nullable() });
export type Explanation = z.infer<typeof Explanation>;
