import { splitTags } from "@layerlab/spec";
import { HttpError } from "../http-error";

/** The most tags one run may carry. */
export const MAX_RUN_TAGS = 32;

/**
 * A run's tags as stored: "baseline, walk" sent as one tag becomes two,
 * trimmed, without empties or repeats. Refuses more than MAX_RUN_TAGS after
 * splitting, in words.
 */
export function runTags(tags: readonly string[]): string[] {
  const split = splitTags(tags);
  if (split.length > MAX_RUN_TAGS) {
    throw new HttpError(
      400,
      `the tags split on commas into ${split.length} tags; a run may have at most ${MAX_RUN_TAGS} — remove some`,
    );
  }
  return split;
}
