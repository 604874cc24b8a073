import { type Dataset, type ImageSet, imageSize } from "./dataset";

/*
 * LAYERLAB-DATASET-1, the compact form of a dataset: on disk under the data
 * dir (data-node) and on the wire from `GET /api/datasets/:id/data` (the
 * browser trains on it), so the codec lives here, free of Node APIs.
 */

const MAGIC = "LAYERLAB-DATASET-1\n";

interface StoredHeader {
  name: string;
  shape: [number, number, number];
  classes: string[];
  trainCount: number;
  testCount: number;
  allowsHorizontalFlip?: boolean;
  description?: string;
}

/**
 * Encodes a dataset compactly: a magic line, a uint32 header length, a JSON header, then the raw
 * uint8 train images, train labels, test images and test labels.
 */
export function encodeDataset(dataset: Dataset): Uint8Array[] {
  const header: StoredHeader = {
    name: dataset.name,
    shape: [...dataset.shape],
    classes: [...dataset.classes],
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    allowsHorizontalFlip: dataset.allowsHorizontalFlip,
    description: dataset.description,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.length, true);
  const size = imageSize(dataset.shape);
  return [
    new TextEncoder().encode(MAGIC),
    length,
    json,
    dataset.train.images.subarray(0, dataset.train.count * size),
    dataset.train.labels.subarray(0, dataset.train.count),
    dataset.test.images.subarray(0, dataset.test.count * size),
    dataset.test.labels.subarray(0, dataset.test.count),
  ];
}

/** Decodes what `encodeDataset` wrote; `source` names the file in errors. */
export function decodeDataset(buf: Uint8Array, source = "dataset file"): Dataset {
  const magic = new TextEncoder().encode(MAGIC);
  if (buf.length < magic.length + 4 || !magic.every((b, i) => buf[i] === b)) {
    throw new Error(`${source} is not a LayerLab dataset file (bad magic); delete it and import the dataset again`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const jsonLength = view.getUint32(magic.length, true);
  let offset = magic.length + 4;
  if (offset + jsonLength > buf.length)
    throw new Error(`${source} is cut short inside its header; fetch or import it again`);
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(offset, offset + jsonLength))) as StoredHeader;
  offset += jsonLength;
  const size = imageSize(header.shape);
  const expected = offset + (header.trainCount + header.testCount) * (size + 1);
  if (buf.length !== expected) {
    throw new Error(
      `${source} is truncated or damaged (${buf.length} bytes, expected ${expected}); delete it and import again`,
    );
  }
  const take = (n: number) => {
    const part = buf.subarray(offset, offset + n);
    offset += n;
    return part;
  };
  const set = (count: number): ImageSet => ({ images: take(count * size), labels: take(count), count });
  const train = set(header.trainCount);
  const test = set(header.testCount);
  return {
    name: header.name,
    shape: header.shape,
    classes: header.classes,
    train,
    test,
    ...(header.allowsHorizontalFlip !== undefined && { allowsHorizontalFlip: header.allowsHorizontalFlip }),
    ...(header.description !== undefined && { description: header.description }),
  };
}
