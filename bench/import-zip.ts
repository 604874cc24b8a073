/**
 * Benchmark: import a ZIP of 10,000 64×64 JPEGs (class-per-folder, 10 classes) and report wall time,
 * throughput and memory. Run: `npx tsx bench/import-zip.ts [count]`. Not a test: nothing is asserted.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { generateShapes } from "@layerlab/data-core";
import { importDataset } from "@layerlab/data-node";
import sharp from "sharp";
import yazl from "yazl";

const count = Number(process.argv[2] ?? 10_000);
const dir = await mkdtemp(join(tmpdir(), "layerlab-bench-"));
const zipPath = join(dir, "bench.zip");
const shapes = generateShapes({
  size: 64,
  color: true,
  countPerClass: Math.ceil(count / 5),
  testFraction: 0.5,
  shapes: ["circle", "square", "triangle", "star", "hexagon"],
});
const plane = 64 * 64;

let t = performance.now();
const zip = new yazl.ZipFile();
const written = pipeline(zip.outputStream, createWriteStream(zipPath));
for (let i = 0; i < count; i++) {
  const set = i % 2 === 0 ? shapes.train : shapes.test;
  const k = Math.floor(i / 2);
  const hwc = Buffer.alloc(plane * 3);
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < plane; p++) hwc[p * 3 + c] = set.images[k * 3 * plane + c * plane + p]!;
  const jpeg = await sharp(hwc, { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  // JPEGs are stored, as a camera roll would be zipped; 10 folder-classes.
  zip.addBuffer(jpeg, `bench/class${i % 10}/${String(i).padStart(5, "0")}.jpg`, { compress: false });
}
zip.end();
await written;
const zipBytes = (await stat(zipPath)).size;
console.log(
  `wrote ${count} JPEGs, ${(zipBytes / 1e6).toFixed(1)} MB ZIP in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
t = performance.now();
const { dataset, report } = await importDataset(zipPath);
const seconds = (performance.now() - t) / 1000;
clearInterval(sampler);
const decodedBytes = dataset.train.images.length + dataset.test.images.length;
console.log(
  JSON.stringify(
    {
      images: dataset.train.count + dataset.test.count,
      shape: dataset.shape,
      layout: report.layout,
      seconds: Number(seconds.toFixed(2)),
      imagesPerSecond: Math.round((dataset.train.count + dataset.test.count) / seconds),
      zipMB: Number((zipBytes / 1e6).toFixed(1)),
      decodedMB: Number((decodedBytes / 1e6).toFixed(1)),
      rssGrowthMB: Number(((peak - rssBefore) / 1e6).toFixed(1)),
      skipped: report.skipped.length,
    },
    null,
    2,
  ),
);
await rm(dir, { recursive: true, force: true });
