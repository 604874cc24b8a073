import { resultsLoading } from "../compare/runTestSet";
import { RESULTS_FAILED_PREFIX } from "./serverRuns";
import type { LocalRun } from "./trainer";

/**
 * What stands in for a finished run's test images and predictions until they arrive: "Loading…" while they
 * are on their way, and, once fetching them failed, why (rather than "Loading…" for ever).
 */
export function ResultsPending({ run }: { run: LocalRun }) {
  if (run.results) return null;
  if (resultsLoading(run))
    return (
      <p className="muted" data-testid="server-results-loading">
        Loading the test images and predictions…
      </p>
    );
  const failed = run.series.logs.findLast((l) => l.message.startsWith(RESULTS_FAILED_PREFIX));
  if (!failed) return null;
  return (
    <p className="problem warning" data-testid="server-results-failed">
      The test images and predictions could not be shown: {failed.message.slice(RESULTS_FAILED_PREFIX.length)}.
    </p>
  );
}
