import { errorProblem, type Problem } from "./problems";

/** The most layers a model spec may have; the builder, the CLI and the server all refuse more. */
export const MAX_SPEC_LAYERS = 512;

/** The most bytes a model spec may take as compact UTF-8 JSON. */
export const MAX_SPEC_JSON_BYTES = 256 * 1024;

/** `256 KB`: a byte count as size messages print it. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
  if (bytes >= 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * The problem with a spec too large to analyse, or null when it is within
 * the limits. Cheap by design, so it can run before any parsing: the layer
 * count is read first, and the spec is serialised only when that count is allowed.
 */
export function specSizeProblem(input: unknown): Problem | null {
  const layers = typeof input === "object" && input !== null ? (input as { layers?: unknown }).layers : undefined;
  if (Array.isArray(layers) && layers.length > MAX_SPEC_LAYERS) {
    return errorProblem({
      layer: null,
      field: "layers",
      what: `the model has ${layers.length.toLocaleString("en-US")} layers, more than the ${MAX_SPEC_LAYERS} LayerLab allows`,
      fix: `remove layers until at most ${MAX_SPEC_LAYERS} remain`,
    });
  }
  const bytes = jsonBytes(input);
  if (bytes > MAX_SPEC_JSON_BYTES) {
    return errorProblem({
      layer: null,
      field: null,
      what: `the model spec takes ${formatBytes(bytes)} as JSON, more than the ${formatBytes(MAX_SPEC_JSON_BYTES)} LayerLab allows`,
      fix: "remove layers or shorten long names and class lists",
    });
  }
  return null;
}

/** UTF-8 size of `value` as compact JSON (0 for what JSON cannot hold). */
function jsonBytes(value: unknown): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 0; // a cycle: the schema check names what is wrong with it
  }
  if (text === undefined) return 0;
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long text is over without encoding it.
  if (text.length > MAX_SPEC_JSON_BYTES) return text.length;
  return new TextEncoder().encode(text).length;
}
