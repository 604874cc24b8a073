import { formatSweepValue } from "@layerlab/spec";
import type { SweepView } from "../api/client";
import { bestRunIndex, percent } from "./sweepResults";
import { settingLabel } from "./sweepSettings";

/**
 * Every run of the sweep in grid order: its setting values, status, epochs and score, the best one marked.
 * A k-fold's folds are not settings to pick from: each shows its validation and test accuracy, none is "best".
 */
export function SweepTable({ view, scoreLabel }: { view: SweepView; scoreLabel: string }) {
  const kfold = view.kind === "kfold";
  const best = kfold ? null : bestRunIndex(view);
  return (
    <div className="table-scroll">
      <table className="runs sweep-table" data-testid="sweep-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            {view.plan.axes.map((a) => (
              <th scope="col" key={a.field}>
                {settingLabel(a.field)}
              </th>
            ))}
            <th scope="col">Status</th>
            <th scope="col">Epochs</th>
            {kfold ? (
              <>
                <th scope="col">Validation accuracy</th>
                <th scope="col">Test accuracy</th>
              </>
            ) : (
              <th scope="col" title={scoreLabel}>
                Score
              </th>
            )}
            <th scope="col">
              <span className="sr-only">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {view.runs.map((r, i) => (
            <tr key={r.run.id} className={i === best ? "best" : undefined}>
              <td className="num" data-label="Run">
                {r.cell + 1}
              </td>
              {r.values.map((v, k) => (
                <td key={view.plan.axes[k]?.field ?? k} data-label={settingLabel(view.plan.axes[k]?.field ?? "")}>
                  {kfold ? `fold ${Number(v) + 1}` : formatSweepValue(v)}
                </td>
              ))}
              <td data-label="Status">
                <span className={`status ${r.run.status}`}>{r.run.status}</span>
              </td>
              <td data-label="Epochs" className="num">
                {r.run.epochsDone} of {r.run.epochs}
              </td>
              {kfold ? (
                <>
                  <td data-label="Validation accuracy" className="num">
                    {percent(view.kfold?.perFold[i] ?? null)}
                  </td>
                  <td data-label="Test accuracy" className="num">
                    {percent(r.score)}
                  </td>
                </>
              ) : (
                <td data-label="Score" className="num">
                  {percent(r.score)}
                  {i === best && <span className="best-mark"> ★ best</span>}
                </td>
              )}
              <td>
                <a className="button" href={`#/run/${encodeURIComponent(r.run.id)}`}>
                  Open
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
