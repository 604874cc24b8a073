/*
 * The Compare page's address names the runs it compares
 * (`#/compare?runs=<id>,<id>`), so that a reload, a bookmark or a server
 * restart brings back the same comparison.
 */

/** The address of the Compare page comparing `ids` (just the page without any). */
export function compareHash(ids: readonly string[]): string {
  return ids.length ? `#/compare?runs=${ids.map(encodeURIComponent).join(",")}` : "#/compare";
}

/** The run ids a Compare address names, in order, without repeats; none for any other address. */
export function comparedRunIds(hash: string): string[] {
  const m = /^#\/?compare\?(.*)$/.exec(hash);
  if (!m) return [];
  const list = new URLSearchParams(m[1]).get("runs");
  if (!list) return [];
  const ids = list
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  return [...new Set(ids)];
}
