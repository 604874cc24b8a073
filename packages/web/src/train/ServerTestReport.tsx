import type { TestReport } from "@layerlab/spec";
import { useEffect, useState } from "react";
import { fetchTestReport } from "../api/client";
import { PerClassTable } from "./PerClassTable";
import { ConfusionMatrix } from "./Results";

/** A finished server run's confusion matrix and per-class precision/recall, from its test.json artifact. */
export function ServerTestReport({ runId }: { runId: string }) {
  const [report, setReport] = useState<TestReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    fetchTestReport(runId).then(
      (r) => live && setReport(r),
      (e) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [runId]);
  if (error) return <p className="muted">The test report could not be loaded: {error}</p>;
  if (!report) return <p className="muted">Loading the test report…</p>;
  return (
    <div className="results-grid" data-testid="server-test-report">
      <div>
        <h3>Confusion matrix</h3>
        <ConfusionMatrix results={{ confusion: report.confusion, test: { classes: report.classes } }} />
      </div>
      <div>
        <h3>Per class</h3>
        <PerClassTable rows={report.perClass.map((c) => ({ ...c, name: c.class }))} />
      </div>
    </div>
  );
}
