/*
 * Where two runs disagree on one test set: the images they answer
 * differently, grouped by (A's answer, B's answer), both confusion matrices
 * and their difference, and whether the two runs were tested on the same
 * images at all. Pure functions of label and prediction arrays; the Compare
 * page draws what they return.
 */

/** One (A says, B says) pair of a disagreement, with the test images it holds (in test-split order). */
export interface DisagreementGroup {
  /** Class index A predicted. */
  a: number;
  /** Class index B predicted. */
  b: number;
  indices: number[];
  /** How many of them A has right (the true class is `a`). */
  aRight: number;
  /** How many of them B has right (the true class is `b`). */
  bRight: number;
}

/** Two runs' answers on one test set, compared image by image. */
export interface Disagreement {
  /** Test images compared. */
  count: number;
  /** `confusionA[actual][predicted]`: A's counts. */
  confusionA: number[][];
  /** `confusionB[actual][predicted]`: B's counts. */
  confusionB: number[][];
  /** `difference[actual][predicted]` = B's count − A's count. */
  difference: number[][];
  /** Every (A says, B says) pair with A ≠ B, largest first (ties by A's then B's class). */
  groups: DisagreementGroup[];
  /** Images the two runs answer differently (the groups' total). */
  disagreeing: number;
  /** Of those: A right and B wrong. */
  onlyARight: number;
  /** Of those: B right and A wrong. */
  onlyBRight: number;
  /** Of those: both wrong, each differently. */
  bothWrong: number;
  /** Images both answer the same and right. */
  bothRight: number;
  /** Images both answer the same and wrong. */
  sameMistake: number;
}

/** Images whose count in one difference cell differs: where only B, or only A, put them there. */
export interface DifferenceCellImages {
  /** True class `actual`, B predicted `predicted` and A did not: the cell's + side. */
  onlyB: number[];
  /** True class `actual`, A predicted `predicted` and B did not: the cell's − side. */
  onlyA: number[];
}

type Answers = ArrayLike<number>;

function checkAnswers(labels: Answers, predictionsA: Answers, predictionsB: Answers, classCount: number): void {
  if (!Number.isInteger(classCount) || classCount < 1)
    throw new Error(`classCount must be a positive integer, got ${classCount}`);
  for (const [name, values] of [
    ["predictionsA", predictionsA],
    ["predictionsB", predictionsB],
  ] as const) {
    if (values.length !== labels.length)
      throw new Error(
        `${name} has ${values.length} answers for ${labels.length} test images; give one answer per test image`,
      );
  }
  for (const [name, values] of [
    ["labels", labels],
    ["predictionsA", predictionsA],
    ["predictionsB", predictionsB],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= classCount)
        throw new Error(`${name}[${i}] is ${v}, not a class index from 0 to ${classCount - 1}`);
    }
  }
}

const zeros = (n: number) => Array.from({ length: n }, () => new Array<number>(n).fill(0));

/**
 * Compares two runs' predictions on the same test images. `labels[i]` is
 * image i's true class; `predictionsA[i]` and `predictionsB[i]` are the
 * classes A and B answered. Throws naming the array when lengths or class
 * indices do not fit.
 */
export function compareAnswers(
  labels: Answers,
  predictionsA: Answers,
  predictionsB: Answers,
  classCount: number,
): Disagreement {
  checkAnswers(labels, predictionsA, predictionsB, classCount);
  const confusionA = zeros(classCount);
  const confusionB = zeros(classCount);
  const byPair = new Map<number, DisagreementGroup>();
  let bothRight = 0;
  let sameMistake = 0;
  for (let i = 0; i < labels.length; i++) {
    const actual = labels[i]!;
    const a = predictionsA[i]!;
    const b = predictionsB[i]!;
    confusionA[actual]![a]!++;
    confusionB[actual]![b]!++;
    if (a === b) {
      if (a === actual) bothRight++;
      else sameMistake++;
      continue;
    }
    const key = a * classCount + b;
    let group = byPair.get(key);
    if (!group) {
      group = { a, b, indices: [], aRight: 0, bRight: 0 };
      byPair.set(key, group);
    }
    group.indices.push(i);
    if (a === actual) group.aRight++;
    if (b === actual) group.bRight++;
  }
  const groups = [...byPair.values()].sort((x, y) => y.indices.length - x.indices.length || x.a - y.a || x.b - y.b);
  const sum = (pick: (g: DisagreementGroup) => number) => groups.reduce((s, g) => s + pick(g), 0);
  const disagreeing = sum((g) => g.indices.length);
  const onlyARight = sum((g) => g.aRight);
  const onlyBRight = sum((g) => g.bRight);
  return {
    count: labels.length,
    confusionA,
    confusionB,
    difference: confusionB.map((row, r) => row.map((n, c) => n - confusionA[r]![c]!)),
    groups,
    disagreeing,
    onlyARight,
    onlyBRight,
    bothWrong: disagreeing - onlyARight - onlyBRight,
    bothRight,
    sameMistake,
  };
}

/**
 * The images behind difference cell (`actual`, `predicted`): true class
 * `actual` and predicted `predicted` by exactly one of the runs. Images both
 * put in the cell cancel out, so `onlyB.length - onlyA.length` is the cell's value.
 */
export function differenceCellImages(
  labels: Answers,
  predictionsA: Answers,
  predictionsB: Answers,
  actual: number,
  predicted: number,
): DifferenceCellImages {
  const onlyA: number[] = [];
  const onlyB: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== actual) continue;
    const a = predictionsA[i] === predicted;
    const b = predictionsB[i] === predicted;
    if (a && !b) onlyA.push(i);
    else if (b && !a) onlyB.push(i);
  }
  return { onlyA, onlyB };
}

/** The images of one run's confusion cell: true class `actual`, predicted `predicted`. */
export function confusionCellImages(
  labels: Answers,
  predictions: Answers,
  actual: number,
  predicted: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === actual && predictions[i] === predicted) out.push(i);
  return out;
}

/** What the comparison needs to know of one run's test evaluation. */
export interface RunTestSet {
  /** The run's name as the page shows it. */
  name: string;
  /** The dataset it was trained and tested on, as the page names it. */
  dataset: string;
  /** Why the run has no test results, and what to do, when `test` is null (default: still training or stopped early). */
  noTest?: { because: string; fix: string };
  /** Null while the run has no test results (still training, or stopped before its test evaluation). */
  test: {
    classes: readonly string[];
    labels: Uint8Array;
    /** The test images' pixels, uint8 in the split's order. */
    images: Uint8Array;
    /** One predicted class per test image; empty when the run recorded none. */
    predictions: Answers;
    /** Why the per-image predictions are missing, when they are. */
    predictionsMissing?: string;
  } | null;
}

/** Whether two runs can be compared image by image; when not, what is wrong and what to do about it. */
export type Comparability = { ok: true } | { ok: false; problem: string; fix: string };

function sameBytes(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Whether `a` and `b` answered the same test images: both have results with
 * per-image predictions, on the same dataset, classes, labels and pixels.
 */
export function comparability(a: RunTestSet, b: RunTestSet): Comparability {
  for (const run of [a, b]) {
    if (!run.test)
      return {
        ok: false,
        problem: `${run.name} has no test results: ${run.noTest?.because ?? "it is still training, or it stopped before its test evaluation"}.`,
        fix: run.noTest?.fix ?? "Wait for it to finish, or pick a run that finished.",
      };
  }
  for (const run of [a, b]) {
    const test = run.test!;
    if (test.predictions.length === 0 || test.predictions.length !== test.labels.length)
      return {
        ok: false,
        problem: `${run.name} has no per-image test predictions${test.predictionsMissing ? `: ${test.predictionsMissing}` : "."}`,
        fix: "Train it again (or resume it) so that its test evaluation records them, then compare again.",
      };
  }
  const ta = a.test!;
  const tb = b.test!;
  if (a.dataset !== b.dataset)
    return {
      ok: false,
      problem: `${a.name} was tested on ${a.dataset} and ${b.name} on ${b.dataset}: different test images, so there is nothing to line up.`,
      fix: `Pick two runs trained on the same dataset (the Runs page filters by dataset), or train ${b.name}'s configuration on ${a.dataset}.`,
    };
  if (ta.classes.join("\u0000") !== tb.classes.join("\u0000"))
    return {
      ok: false,
      problem: `${a.name} has the classes ${ta.classes.join(", ")} and ${b.name} has ${tb.classes.join(", ")}.`,
      fix: "Pick two runs with the same classes, in the same order.",
    };
  if (ta.labels.length !== tb.labels.length)
    return {
      ok: false,
      problem: `${a.name} was tested on ${ta.labels.length} images of ${a.dataset} and ${b.name} on ${tb.labels.length}: the dataset changed between the two runs.`,
      fix: "Train the older configuration again on the dataset as it is now, then compare the new run.",
    };
  if (!sameBytes(ta.labels, tb.labels) || !sameBytes(ta.images, tb.images))
    return {
      ok: false,
      problem: `${a.name} and ${b.name} were tested on ${a.dataset}, but not on the same images: the dataset changed between the two runs.`,
      fix: "Train the older configuration again on the dataset as it is now, then compare the new run.",
    };
  return { ok: true };
}
