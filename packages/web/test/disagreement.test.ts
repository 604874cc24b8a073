// The disagreement explorer's arithmetic on hand-made answers: which images two
// runs answer differently, grouped by (A says, B says), both confusion matrices
// and their difference, the images behind a cell, and when two runs cannot be
// compared image by image.
import { describe, expect, it } from "vitest";
import {
  comparability,
  compareAnswers,
  confusionCellImages,
  differenceCellImages,
  type RunTestSet,
} from "../src/compare/disagreement";

// Three classes (0 circle, 1 square, 2 triangle), ten images.
//          index:   0  1  2  3  4  5  6  7  8  9
const labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
const predsA = [0, 0, 1, 1, 1, 2, 2, 2, 0, 1];
const predsB = [0, 2, 2, 1, 0, 2, 2, 1, 0, 0];

describe("compareAnswers", () => {
  const d = compareAnswers(labels, predsA, predsB, 3);

  it("groups the images the runs answer differently by (A says, B says), largest group first", () => {
    // Differ at 1 (0→2), 2 (1→2), 4 (1→0), 7 (2→1), 9 (1→0).
    expect(d.groups).toEqual([
      { a: 1, b: 0, indices: [4, 9], aRight: 1, bRight: 0 },
      { a: 0, b: 2, indices: [1], aRight: 1, bRight: 0 },
      { a: 1, b: 2, indices: [2], aRight: 0, bRight: 0 },
      { a: 2, b: 1, indices: [7], aRight: 1, bRight: 0 },
    ]);
    expect(d.disagreeing).toBe(5);
    expect(d.onlyARight).toBe(3);
    expect(d.onlyBRight).toBe(0);
    expect(d.bothWrong).toBe(2);
    // Agree at 0, 3, 6 (right) and 5, 8 (the same mistake).
    expect(d.bothRight).toBe(3);
    expect(d.sameMistake).toBe(2);
    expect(d.count).toBe(10);
  });

  it("counts both confusion matrices and their difference B − A", () => {
    expect(d.confusionA).toEqual([
      [2, 1, 0],
      [0, 2, 1],
      [1, 1, 2],
    ]);
    expect(d.confusionB).toEqual([
      [1, 0, 2],
      [1, 1, 1],
      [2, 1, 1],
    ]);
    expect(d.difference).toEqual([
      [-1, -1, 2],
      [1, -1, 0],
      [1, 0, -1],
    ]);
  });

  it("finds no groups when the runs agree everywhere", () => {
    const same = compareAnswers(labels, predsA, predsA, 3);
    expect(same.groups).toEqual([]);
    expect(same.difference.flat().every((v) => v === 0)).toBe(true);
    expect(same.bothRight + same.sameMistake).toBe(10);
  });

  it("refuses answers that do not fit the test set, naming the array", () => {
    expect(() => compareAnswers(labels, predsA.slice(1), predsB, 3)).toThrow(
      /predictionsA has 9 answers for 10 test images/,
    );
    expect(() => compareAnswers(labels, predsA, [...predsB.slice(1), 3], 3)).toThrow(
      /predictionsB\[9\] is 3, not a class index from 0 to 2/,
    );
    expect(() => compareAnswers(labels, predsA, predsB, 0)).toThrow(/classCount must be a positive integer/);
  });
});

describe("the images behind a cell", () => {
  it("splits a difference cell into the images only B and only A put there; their balance is the cell", () => {
    const d = compareAnswers(labels, predsA, predsB, 3);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        const cell = differenceCellImages(labels, predsA, predsB, r, c);
        expect(cell.onlyB.length - cell.onlyA.length, `cell ${r},${c}`).toBe(d.difference[r]![c]);
      }
    }
    // Circles: B calls images 1 and 2 triangles, A calls image 2 a square.
    expect(differenceCellImages(labels, predsA, predsB, 0, 2)).toEqual({ onlyB: [1, 2], onlyA: [] });
    expect(differenceCellImages(labels, predsA, predsB, 0, 1)).toEqual({ onlyB: [], onlyA: [2] });
    // Triangles called circles: B at 9, both at 8 (cancels).
    expect(differenceCellImages(labels, predsA, predsB, 2, 0)).toEqual({ onlyB: [9], onlyA: [] });
  });

  it("lists one run's confusion cell", () => {
    expect(confusionCellImages(labels, predsA, 2, 1)).toEqual([9]);
    expect(confusionCellImages(labels, predsB, 0, 2)).toEqual([1, 2]);
  });
});

describe("comparability", () => {
  const images = Uint8Array.from({ length: 10 * 4 }, (_, i) => i);
  const run = (name: string, over: Partial<NonNullable<RunTestSet["test"]>> = {}, dataset = "shapes"): RunTestSet => ({
    name,
    dataset,
    test: {
      classes: ["circle", "square", "triangle"],
      labels: Uint8Array.from(labels),
      images,
      predictions: predsA,
      ...over,
    },
  });

  it("accepts two runs tested on the same images", () => {
    expect(comparability(run("A"), run("B"))).toEqual({ ok: true });
  });

  it("names the run without results and what to do", () => {
    const c = comparability(run("A"), { name: "B", dataset: "shapes", test: null });
    expect(c).toEqual({
      ok: false,
      problem: "B has no test results: it is still training, or it stopped before its test evaluation.",
      fix: "Wait for it to finish, or pick a run that finished.",
    });
    const aborted = { because: "it was aborted before its test evaluation", fix: "Resume it from the Runs page." };
    expect(comparability({ name: "A", dataset: "shapes", test: null, noTest: aborted }, run("B"))).toEqual({
      ok: false,
      problem: "A has no test results: it was aborted before its test evaluation.",
      fix: "Resume it from the Runs page.",
    });
  });

  it("names the run without per-image predictions and why", () => {
    const c = comparability(run("A", { predictions: [], predictionsMissing: "it has no weights" }), run("B"));
    expect(c.ok === false && c.problem).toBe("A has no per-image test predictions: it has no weights");
    expect(c.ok === false && c.fix).toMatch(/Train it again/);
  });

  it("refuses different datasets and says which runs to pick instead", () => {
    const c = comparability(run("A"), run("B", {}, "mnist"));
    expect(c.ok === false && c.problem).toBe(
      "A was tested on shapes and B on mnist: different test images, so there is nothing to line up.",
    );
    expect(c.ok === false && c.fix).toMatch(/Pick two runs trained on the same dataset/);
  });

  it("refuses a dataset that changed between the runs: other classes, sizes, labels or pixels", () => {
    const classes = comparability(run("A"), run("B", { classes: ["a", "b", "c"] }));
    expect(classes.ok === false && classes.problem).toMatch(/classes circle, square, triangle and B has a, b, c/);
    const count = comparability(
      run("A"),
      run("B", { labels: Uint8Array.from(labels.slice(1)), predictions: predsA.slice(1) }),
    );
    expect(count.ok === false && count.problem).toMatch(/A was tested on 10 images of shapes and B on 9/);
    expect(count.ok === false && count.fix).toMatch(/Train the older configuration again/);
    const relabelled = Uint8Array.from(labels);
    relabelled[0] = 1;
    expect(comparability(run("A"), run("B", { labels: relabelled })).ok).toBe(false);
    const repainted = images.slice();
    repainted[39] = 0;
    const pixels = comparability(run("A"), run("B", { images: repainted }));
    expect(pixels.ok === false && pixels.problem).toMatch(/not on the same images/);
  });
});
