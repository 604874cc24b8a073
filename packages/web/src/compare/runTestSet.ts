import { datasetLabel } from "../data/datasets";
import { RESULTS_FAILED_PREFIX as RESULTS_FAILED } from "../train/serverRuns";
import type { LocalRun } from "../train/trainer";
import type { RunTestSet } from "./disagreement";

/** Whether run `run` finished its test evaluation but its results are still on their way to the page. */
export function resultsLoading(run: LocalRun): boolean {
  return (
    !run.results &&
    run.series.end?.type === "done" &&
    run.series.end.testAccuracy !== null &&
    !run.series.logs.some((l) => l.message.startsWith(RESULTS_FAILED))
  );
}

/** Why a run has no test results, and what to do about it, from how its events end. */
function noTestOf(run: LocalRun): RunTestSet["noTest"] {
  const end = run.series.end;
  const failedLoad = run.series.logs.findLast((l) => l.message.startsWith(RESULTS_FAILED));
  if (failedLoad)
    return {
      because: `its test results could not be loaded (${failedLoad.message.slice(RESULTS_FAILED.length)})`,
      fix: "Reload the page; if that does not help, open the run from the Runs page and read its log.",
    };
  if (!end) {
    if (run.registryStatus === "interrupted")
      return {
        because: "it was interrupted before its test evaluation",
        fix: "Resume it from the Runs page, or pick a run that finished.",
      };
    return { because: "it is still training", fix: "Wait for it to finish, or pick a run that finished." };
  }
  if (end.type === "done")
    return {
      because: "it finished without a test evaluation (its dataset has no test split)",
      fix: "Pick runs trained on a dataset with a test split.",
    };
  if (end.type === "diverged")
    return {
      because: "it diverged before its test evaluation",
      fix: "Train it again with a lower learning rate, or pick a run that finished.",
    };
  return {
    because: `it ${end.type === "aborted" ? "was aborted" : "failed"} before its test evaluation`,
    fix: "Resume it from the Runs page, or pick a run that finished.",
  };
}

/** What the comparison needs of one of the page's runs, named `name` as the page shows it. */
export function runTestSetOf(run: LocalRun, name: string): RunTestSet {
  const results = run.results;
  if (!results) {
    const noTest = noTestOf(run);
    return { name, dataset: datasetLabel(run.studio.dataset), test: null, ...(noTest && { noTest }) };
  }
  return {
    name,
    dataset: datasetLabel(run.studio.dataset),
    test: {
      classes: results.test.classes,
      labels: results.test.labels,
      images: results.test.images,
      predictions: results.predictions,
      ...(results.predictionsMissing && { predictionsMissing: results.predictionsMissing }),
    },
  };
}
