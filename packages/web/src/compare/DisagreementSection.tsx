import { useEffect, useMemo, useRef, useState } from "react";
import { ConfusionMatrix } from "../train/Results";
import type { LocalRun, RunResults } from "../train/trainer";
import { DifferenceMatrix, signed } from "./DifferenceMatrix";
import { DisagreementGallery } from "./DisagreementGallery";
import { comparability, compareAnswers, confusionCellImages, differenceCellImages } from "./disagreement";
import { resultsLoading, runTestSetOf } from "./runTestSet";
import "./disagreement.css";

/** Groups listed before "Show all groups". */
const FIRST_GROUPS = 12;

/** A run as the section shows it: the run, its legend name and its chart colour. */
export interface ComparedRun {
  run: LocalRun;
  label: string;
  color: string;
}

/** What the gallery shows: a group, a difference cell, or one run's confusion cell. */
type Selection =
  | { kind: "group"; a: number; b: number }
  | { kind: "difference"; actual: number; predicted: number }
  | { kind: "confusion"; side: "a" | "b"; actual: number; predicted: number };

/**
 * "Where they disagree": for two runs tested on the same images, the images
 * they answer differently grouped by (A says, B says), both confusion
 * matrices and their difference; a group or a cell shows its images. With
 * more than two runs chosen, two pickers say which pair.
 */
export function DisagreementSection({ runs }: { runs: ComparedRun[] }) {
  const [pair, setPair] = useState<[string, string] | null>(null);
  const ids = runs.map((r) => r.run.id);
  const [aId, bId] = pair && ids.includes(pair[0]) && ids.includes(pair[1]) ? pair : [ids[0]!, ids[1]!];
  const a = runs.find((r) => r.run.id === aId)!;
  const b = runs.find((r) => r.run.id === bId)!;
  const pick = (side: 0 | 1, id: string) => {
    const next: [string, string] = [aId, bId];
    next[side] = id;
    // Picking the other side's run swaps the two.
    if (next[0] === next[1]) next[1 - side] = side === 0 ? aId : bId;
    setPair(next);
  };
  return (
    <section className="disagree" aria-labelledby="disagree-title">
      <h3 id="disagree-title">Where they disagree</h3>
      {runs.length > 2 && (
        <div className="toolbar disagree-pair">
          {(["A", "B"] as const).map((side, k) => (
            <label key={side}>
              {side}{" "}
              <select value={k === 0 ? aId : bId} onChange={(e) => pick(k as 0 | 1, e.target.value)}>
                {runs.map((r) => (
                  <option key={r.run.id} value={r.run.id}>
                    {r.label}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
      )}
      <PairComparison key={`${a.run.id} ${b.run.id}`} a={a} b={b} />
    </section>
  );
}

/** One run's confusion matrix, captioned with its side (A or B) and name. */
function RunMatrix({
  side,
  run,
  confusion,
  classes,
  selected = null,
  onSelect,
}: {
  side: "a" | "b";
  run: ComparedRun;
  confusion: number[][];
  classes: readonly string[];
  selected?: [number, number] | null;
  onSelect?: (cell: [number, number]) => void;
}) {
  return (
    <figure>
      <figcaption>
        <span className={`run-chip ${side}`}>{side.toUpperCase()}</span> {run.label}
      </figcaption>
      <div className="table-scroll">
        <ConfusionMatrix
          results={{ confusion, test: { classes: [...classes] } }}
          selected={selected}
          {...(onSelect && { onSelect })}
        />
      </div>
    </figure>
  );
}

/** The two runs' comparison, or why there is none (with the matrices each has). */
function PairComparison({ a, b }: { a: ComparedRun; b: ComparedRun }) {
  return (
    <div className="disagree-body" style={{ "--run-a": a.color, "--run-b": b.color } as React.CSSProperties}>
      <p className="legend">
        <span className="run-chip a">A</span> {a.label} <span className="run-chip b">B</span> {b.label}
      </p>
      <PairBody a={a} b={b} />
    </div>
  );
}

function PairBody({ a, b }: { a: ComparedRun; b: ComparedRun }) {
  const loading = [a, b].filter((r) => resultsLoading(r.run));
  const check = useMemo(
    () => comparability(runTestSetOf(a.run, a.label), runTestSetOf(b.run, b.label)),
    [a.run, a.label, b.run, b.label],
  );
  if (loading.length > 0)
    return (
      <p className="muted" role="status">
        Loading the test images and predictions of {loading.map((r) => r.label).join(" and ")}…
      </p>
    );
  if (!check.ok) {
    const ra = a.run.results;
    const rb = b.run.results;
    return (
      <>
        <div className="problem warning disagree-problem" role="status" data-testid="not-comparable">
          <p>
            <strong>These two runs cannot be compared image by image.</strong> {check.problem}
          </p>
          <p className="fix">
            <strong>Fix:</strong> {check.fix}
          </p>
        </div>
        <div className="disagree-matrices">
          {ra && <RunMatrix side="a" run={a} confusion={ra.confusion} classes={ra.test.classes} />}
          {rb && <RunMatrix side="b" run={b} confusion={rb.confusion} classes={rb.test.classes} />}
        </div>
      </>
    );
  }
  return <Disagreements a={a} b={b} resultsA={a.run.results!} resultsB={b.run.results!} />;
}

function Disagreements({
  a,
  b,
  resultsA,
  resultsB,
}: {
  a: ComparedRun;
  b: ComparedRun;
  resultsA: RunResults;
  resultsB: RunResults;
}) {
  const test = resultsA.test;
  const classes = test.classes;
  const predsA = resultsA.predictions;
  const predsB = resultsB.predictions;
  const d = useMemo(() => compareAnswers(test.labels, predsA, predsB, classes.length), [test, predsA, predsB, classes]);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [allGroups, setAllGroups] = useState(false);
  const galleryRef = useRef<HTMLDivElement>(null);
  // A selection made below the fold (a matrix cell on a phone) brings its images into view.
  useEffect(() => {
    if (selection) galleryRef.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [selection]);
  const names = { a: a.label, b: b.label };
  const pct = (n: number) => `${((n / Math.max(1, d.count)) * 100).toFixed(1)}%`;
  const groups = allGroups ? d.groups : d.groups.slice(0, FIRST_GROUPS);

  const gallery = (title: string, indices: number[]) => (
    <DisagreementGallery
      key={title}
      title={title}
      indices={indices}
      test={test}
      predictionsA={predsA}
      predictionsB={predsB}
      names={names}
    />
  );
  let shown: React.ReactNode = (
    <p className="muted">Pick a group or a cell of a matrix to see its test images with both runs' answers.</p>
  );
  if (selection?.kind === "group") {
    const group = d.groups.find((g) => g.a === selection.a && g.b === selection.b);
    shown = gallery(
      `${a.label} says ${classes[selection.a]}, ${b.label} says ${classes[selection.b]}`,
      group?.indices ?? [],
    );
  } else if (selection?.kind === "difference") {
    const { actual, predicted } = selection;
    const cell = differenceCellImages(test.labels, predsA, predsB, actual, predicted);
    const what = `${classes[actual]} predicted as ${classes[predicted]}`;
    shown = (
      <>
        {gallery(`${what} by ${b.label} only`, cell.onlyB)}
        {gallery(`${what} by ${a.label} only`, cell.onlyA)}
      </>
    );
  } else if (selection?.kind === "confusion") {
    const { side, actual, predicted } = selection;
    const who = side === "a" ? a : b;
    const indices = confusionCellImages(test.labels, side === "a" ? predsA : predsB, actual, predicted);
    shown = gallery(`${classes[actual]} predicted as ${classes[predicted]} by ${who.label}`, indices);
  }

  /** The selected cell, when the selection is a cell that `isHere` accepts. */
  const cellIf = (isHere: (s: Selection) => boolean): [number, number] | null =>
    selection && "actual" in selection && isHere(selection) ? [selection.actual, selection.predicted] : null;

  return (
    <>
      <p data-testid="disagree-summary">
        {d.disagreeing === 0 ? (
          <>They answer all {d.count} test images the same way.</>
        ) : (
          <>
            They disagree on <strong>{d.disagreeing}</strong> of {d.count} test images ({pct(d.disagreeing)}): {a.label}{" "}
            alone is right on {d.onlyARight}, {b.label} alone on {d.onlyBRight}, and both are wrong differently on{" "}
            {d.bothWrong}.
          </>
        )}{" "}
        They agree on {d.count - d.disagreeing}: both right on {d.bothRight}, the same mistake on {d.sameMistake}.
      </p>
      <div className="disagree-explore">
        <div>
          <h4>
            Groups: <span className="run-chip a">A</span> says → <span className="run-chip b">B</span> says
          </h4>
          {d.groups.length === 0 ? (
            <p className="muted">No disagreements.</p>
          ) : (
            <div className="table-scroll">
              <table className="disagree-groups" aria-label="Disagreement groups, largest first">
                <thead>
                  <tr>
                    <th scope="col">A says</th>
                    <th scope="col">B says</th>
                    <th scope="col">images</th>
                    <th scope="col">A right</th>
                    <th scope="col">B right</th>
                    <th scope="col">neither</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.map((g) => {
                    const isSelected = selection?.kind === "group" && selection.a === g.a && selection.b === g.b;
                    return (
                      <tr key={`${g.a} ${g.b}`} className={isSelected ? "selected" : undefined}>
                        <td>{classes[g.a]}</td>
                        <td>{classes[g.b]}</td>
                        <td>
                          <button
                            type="button"
                            aria-pressed={isSelected}
                            aria-label={`${a.label} says ${classes[g.a]}, ${b.label} says ${classes[g.b]}: ${g.indices.length} images`}
                            onClick={() => setSelection({ kind: "group", a: g.a, b: g.b })}
                          >
                            {g.indices.length}
                          </button>
                        </td>
                        <td>{g.aRight}</td>
                        <td>{g.bRight}</td>
                        <td>{g.indices.length - g.aRight - g.bRight}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {d.groups.length > groups.length && (
            <button type="button" className="ghost" onClick={() => setAllGroups(true)}>
              Show all {d.groups.length} groups
            </button>
          )}
        </div>
        <div ref={galleryRef} className="disagree-shown">
          {shown}
        </div>
      </div>
      <div className="disagree-matrices">
        {(["a", "b"] as const).map((side) => (
          <RunMatrix
            key={side}
            side={side}
            run={side === "a" ? a : b}
            confusion={side === "a" ? d.confusionA : d.confusionB}
            classes={classes}
            selected={cellIf((s) => s.kind === "confusion" && s.side === side)}
            onSelect={([actual, predicted]) => setSelection({ kind: "confusion", side, actual, predicted })}
          />
        ))}
        <figure>
          <figcaption>
            Difference B − A{" "}
            <span className="muted">
              ({signed(1)}: <span className="run-chip b">B</span> counts more, {signed(-1)}:{" "}
              <span className="run-chip a">A</span> counts more; on the diagonal more is better)
            </span>
          </figcaption>
          <div className="table-scroll">
            <DifferenceMatrix
              difference={d.difference}
              classes={classes}
              colors={{ a: a.color, b: b.color }}
              names={names}
              selected={cellIf((s) => s.kind === "difference")}
              onSelect={([actual, predicted]) => setSelection({ kind: "difference", actual, predicted })}
            />
          </div>
        </figure>
      </div>
    </>
  );
}
