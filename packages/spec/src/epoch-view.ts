/*
 * What the epoch scrubber shows of one kept epoch, the same wherever it is
 * computed (the server for its runs, the page's worker for runs kept in a
 * browser): the predictions on a fixed handful of test images, and the
 * confusion matrix on the first test images, bounded so that a big test set
 * still answers in a moment.
 */

/** Test images whose predictions the scrubber follows from epoch to epoch. */
export const EPOCH_VIEW_SAMPLES = 24;

/** The confusion matrix of an epoch counts at most this many test images: the first ones, in the test split's order. */
export const EPOCH_VIEW_TEST_LIMIT = 1000;

/**
 * The test images the scrubber follows: the first image of each class in
 * turn, then the second of each, and so on (class 0's first, class 1's first,
 * …), until `n` are picked or the split runs out — every class shows, in the
 * same places at every epoch. Indices into the test split, in picking order.
 */
export function epochSampleIndices(labels: ArrayLike<number>, classCount: number, n = EPOCH_VIEW_SAMPLES): number[] {
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]?.push(i);
  const picked: number[] = [];
  for (let round = 0; picked.length < n; round++) {
    let any = false;
    for (const indices of byClass) {
      if (round >= indices.length) continue;
      any = true;
      picked.push(indices[round]!);
      if (picked.length === n) break;
    }
    if (!any) break;
  }
  return picked;
}
