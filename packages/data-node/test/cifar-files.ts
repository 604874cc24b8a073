import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Bytes of one record in CIFAR-10's binary format: a label byte, then the R, G and B planes of 32×32. */
export const CIFAR_RECORD_BYTES = 1 + 3 * 32 * 32;

/** How many records the generated files hold. */
export interface CifarFilesOptions {
  /** Records in each of data_batch_1..5.bin (the published files hold 10,000). */
  perTrainFile: number;
  /** Records in test_batch.bin (the published file holds 10,000). */
  testCount: number;
  seed?: number;
}

/**
 * Writes CIFAR-10 binary batches of seeded random pixels where `loadCifar10` looks for the unpacked
 * dataset (`<dataDir>/cifar10/cifar-10-batches-bin/`), so `cifar10` loads without a download. Labels cycle
 * through 0–9. Returns the batches folder.
 */
export async function writeCifar10Files(dataDir: string, opts: CifarFilesOptions): Promise<string> {
  const dir = join(dataDir, "cifar10", "cifar-10-batches-bin");
  await mkdir(dir, { recursive: true });
  let state = (opts.seed ?? 1) >>> 0;
  // A 32-bit LCG (Numerical Recipes' constants): reproducible bytes, fast enough for 60,000 images.
  const nextByte = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
  const batch = (count: number, firstLabel: number) => {
    const buf = Buffer.alloc(count * CIFAR_RECORD_BYTES);
    for (let i = 0; i < count; i++) {
      const at = i * CIFAR_RECORD_BYTES;
      buf[at] = (firstLabel + i) % 10;
      for (let p = 1; p < CIFAR_RECORD_BYTES; p++) buf[at + p] = nextByte();
    }
    return buf;
  };
  for (let k = 1; k <= 5; k++) await writeFile(join(dir, `data_batch_${k}.bin`), batch(opts.perTrainFile, k));
  await writeFile(join(dir, "test_batch.bin"), batch(opts.testCount, 0));
  return dir;
}
