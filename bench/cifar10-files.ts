/**
 * Not a test: writes CIFAR-10 binary files of seeded random pixels at the published size (data_batch_1..5.bin
 * with 10,000 images each, test_batch.bin with 10,000) under DIR/cifar10/, where `layerlab train … cifar10
 * --data-dir DIR` finds them, and the ResNet-20 template's spec as DIR/resnet-20.json. Training time does not
 * depend on the pixel values, so this times an epoch of CIFAR-10 where the real files cannot be downloaded
 * (accuracy needs the real files).
 *
 *   npx tsx bench/cifar10-files.ts DIR [images per training file, default 10000]
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CIFAR10_CLASSES } from "@layerlab/data-node";
import { buildTemplate } from "@layerlab/spec";
import { writeCifar10Files } from "../packages/data-node/test/cifar-files";

const dir = process.argv[2];
if (!dir) throw new Error("usage: npx tsx bench/cifar10-files.ts DIR [images per training file]");
const perTrainFile = Number(process.argv[3] ?? 10_000);
const batches = await writeCifar10Files(resolve(dir), { perTrainFile, testCount: 10_000 });
const spec = buildTemplate("resnet-20", { inputShape: [3, 32, 32], classes: [...CIFAR10_CLASSES] });
writeFileSync(join(dir, "resnet-20.json"), `${JSON.stringify(spec, null, 2)}\n`);
console.log(
  `wrote ${5 * perTrainFile} training and 10000 test images to ${batches} and ${join(dir, "resnet-20.json")}`,
);
console.log(`train: npx layerlab train ${join(dir, "resnet-20.json")} cifar10 --data-dir ${dir}`);
