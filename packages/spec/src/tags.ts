/**
 * Run tags as a person meant them: "baseline, walk" typed into one field is
 * two tags. Splits every entry on commas, trims, drops empty pieces and
 * repeats, keeping the first-seen order.
 */
export function splitTags(tags: readonly string[]): string[] {
  const pieces = tags.flatMap((t) => t.split(",")).map((t) => t.trim());
  return [...new Set(pieces.filter((t) => t !== ""))];
}
