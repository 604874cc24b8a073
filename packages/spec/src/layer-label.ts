/**
 * `conv2d #3`: how every view names a layer (builder, problems, doctor, gradient flow, diagram):
 * its kind and its 1-based position in the spec's layer list, the number the builder shows beside it.
 */
export function layerLabel(kind: string, index: number): string {
  return `${kind} #${index + 1}`;
}
