import type { TestReport } from "@layerlab/spec";
import { fetchDatasetData, fetchTestReport } from "../api/client";
import { decodeDatasetPayload } from "../data/payload";
import type { TestImages } from "./protocol";
import type { RunResults } from "./trainer";

/**
 * A finished server run's results in the form the page's own runs have: the
 * runner's test.json (metrics, confusion, every prediction, dead units) joined
 * with the test split's images, so the same galleries and comparisons work.
 * A run recorded before test.json held predictions gets empty galleries.
 */
export async function fetchServerResults(runId: string, datasetId: string): Promise<RunResults> {
  const report = await fetchTestReport(runId);
  const test = report.predictions ? await testImages(datasetId, report) : noImages(report);
  return {
    loss: report.loss,
    accuracy: report.accuracy,
    confusion: report.confusion,
    perClass: report.perClass.map(({ precision, recall, support }) => ({ precision, recall, support })),
    predictions: Int32Array.from(report.predictions ?? []),
    test,
    weights: null,
    ...(report.deadUnits && { deadUnits: report.deadUnits }),
  };
}

async function testImages(datasetId: string, report: TestReport): Promise<TestImages> {
  const dataset = decodeDatasetPayload(await fetchDatasetData(datasetId, "test"), datasetId);
  if (dataset.test.count !== report.predictions!.length) {
    throw new Error(
      `dataset '${datasetId}' has ${dataset.test.count} test images but the run predicted ${report.predictions!.length}; it has changed since the run`,
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
