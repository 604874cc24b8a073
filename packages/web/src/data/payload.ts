import { type Dataset, decodeDataset } from "@layerlab/data-core";

/** Decodes a `GET /api/datasets/:id/data` download (LAYERLAB-DATASET-1); errors name the dataset. */
export function decodeDatasetPayload(buffer: ArrayBuffer, id: string): Dataset {
  return decodeDataset(new Uint8Array(buffer), `dataset '${id}' (download)`);
}
