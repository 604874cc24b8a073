import { resolve } from "node:path";
import { DEFAULT_IMAGE_SIDE, MAX_NATIVE_IMAGE_SIDE } from "@layerlab/data-node";
import { defaultDataDir } from "@layerlab/runner";
import { InvalidArgumentError, Option } from "commander";

/** `--data-dir`: where caches, downloads and imported datasets live. */
export function dataDirOption(): Option {
  return new Option(
    "--data-dir <dir>",
    "Folder for dataset caches and imported datasets (default $LAYERLAB_DATA_DIR or ./data).",
  );
}

/** The data dir a command uses. */
export function dataDirOf(opts: { dataDir?: string }): string {
  return opts.dataDir ? resolve(opts.dataDir) : defaultDataDir();
}

/** Parses a whole number within [min, max]. */
export function intIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/** Parses a number within the open interval (min, max). */
export function fractionIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!(value > min && value < max)) throw new InvalidArgumentError(`expected a number between ${min} and ${max}`);
    return value;
  };
}

/** Options that say how images of a folder or ZIP dataset are decoded (seed 003's --img-size/--grayscale). */
export function imageOptions(): Option[] {
  return [
    new Option(
      "--img-size <n>",
      `Side of the square images a folder/ZIP dataset is decoded to. Default: the images' own size when they all share one up to ${MAX_NATIVE_IMAGE_SIDE}×${MAX_NATIVE_IMAGE_SIDE}, else ${DEFAULT_IMAGE_SIDE}×${DEFAULT_IMAGE_SIDE}.`,
    ).argParser(intIn(4, 512)),
    new Option(
      "--grayscale <0|1>",
      "1: decode a folder/ZIP dataset as greyscale, 0: as RGB. Default: greyscale when every image is.",
    ).choices(["0", "1"]),
    new Option("--fit <fit>", "How images of another size are fitted.").choices(["contain", "cover", "stretch"]),
  ];
}

/** Import options from `imageOptions()` values. */
export function importOptionsOf(opts: { imgSize?: number; grayscale?: string; fit?: string }) {
  return {
    ...(opts.imgSize !== undefined && { size: opts.imgSize }),
    ...(opts.grayscale !== undefined && { channels: (opts.grayscale === "1" ? 1 : 3) as 1 | 3 }),
    ...(opts.fit !== undefined && { fit: opts.fit as "contain" | "cover" | "stretch" }),
  };
}
