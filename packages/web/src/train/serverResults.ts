import type { TestReport } from "@layerlab/spec";
import { fetchDatasetData, fetchTestPredictions, fetchTestReport } from "../api/client";
import { decodeDatasetPayload } from "../data/payload";
import type { TestImages } from "./protocol";
import type { RunResults } from "./trainer";

/**
 * A finished server run's results in the form the page's own runs have: the
 * runner's test.json (metrics, confusion, every prediction, dead units) joined
 * with the test split's images, so the same galleries and comparisons work.
 * A run recorded before test.json held predictions has them evaluated by the
 * server from its saved weights; one without weights gets empty galleries and
 * says why in `predictionsMissing`.
 */
export async function fetchServerResults(runId: string, datasetId: string): Promise<RunResults> {
  const report = await fetchTestReport(runId);
  let predictions = report.predictions;
  let predictionsMissing: string | undefined;
  if (!predictions) {
    try {
      predictions = (await fetchTestPredictions(runId)).predictions;
    } catch (err) {
      predictionsMissing = err instanceof Error ? err.message : String(err);
    }
  }
  const test = predictions ? await testImages(datasetId, report, predictions.length) : noImages(report);
  return {
    loss: report.loss,
    accuracy: report.accuracy,
    confusion: report.confusion,
    perClass: report.perClass.map(({ precision, recall, support }) => ({ precision, recall, support })),
    predictions: Int32Array.from(predictions ?? []),
    test,
    weights: null,
    ...(report.deadUnits && { deadUnits: report.deadUnits }),
    ...(predictionsMissing && { predictionsMissing }),
  };
}

async function testImages(datasetId: string, report: TestReport, predicted: number): Promise<TestImages> {
  const dataset = decodeDatasetPayload(await fetchDatasetData(datasetId, "test"), datasetId);
  if (dataset.test.count !== predicted) {
    throw new Error(
      `dataset '${datasetId}' has ${dataset.test.count} test images but the run predicted ${predicted}; it has changed since the run`,
    );
  }
  return {
    shape: [...dataset.shape],
    classes: [...report.classes],
    images: dataset.test.images,
    labels: dataset.test.labels,
    count: dataset.test.count,
  };
}

function noImages(report: TestReport): TestImages {
  return {
    shape: [1, 1, 1],
    classes: [...report.classes],
    images: new Uint8Array(0),
    labels: new Uint8Array(0),
    count: 0,
  };
}
