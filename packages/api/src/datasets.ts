import { z } from "zod";

const Shape = z.tuple([z.number().int(), z.number().int(), z.number().int()]).meta({ description: "[C, H, W]" });

/** A built-in dataset (always available, loaded or generated on first use). */
export const BuiltinDataset = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string(),
  shape: Shape,
  classes: z.array(z.string()),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  origin: z.string(),
  builtin: z.literal(true),
});
export type BuiltinDataset = z.infer<typeof BuiltinDataset>;

/** A dataset imported from an uploaded ZIP. */
export const ImportedDataset = z.object({
  id: z.string(),
  name: z.string(),
  shape: Shape,
  classes: z.array(z.string()),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  report: z.unknown().meta({ description: "The import report: layout, counts, skipped files, warnings" }),
  bytes: z.number().int(),
  createdAt: z.number(),
  builtin: z.literal(false),
});
export type ImportedDataset = z.infer<typeof ImportedDataset>;

/** GET /api/datasets. */
export const DatasetList = z.object({ builtin: z.array(BuiltinDataset), imported: z.array(ImportedDataset) });
export type DatasetList = z.infer<typeof DatasetList>;

/** What every image of an import was decoded to, and why. */
export const DecodedImages = z.object({
  width: z.number().int(),
  height: z.number().int(),
  channels: z.union([z.literal(1), z.literal(3)]),
  sizeReason: z
    .enum(["requested", "own-size", "mixed-sizes", "too-large", "too-small"])
    .meta({ description: "own-size: the images share one size and it is kept; else the default square" }),
  channelsReason: z.enum(["requested", "all-greyscale", "colour"]),
  summary: z.string().meta({ description: 'The choice in words, e.g. "32×32 RGB (the images\' own size)"' }),
});
export type DecodedImages = z.infer<typeof DecodedImages>;

/** An import report as POST /api/datasets answers it. */
export const ImportReport = z.looseObject({
  source: z.string(),
  shape: Shape,
  decoded: DecodedImages,
  classes: z.array(z.string()),
  counts: z.object({ train: z.record(z.string(), z.number()), test: z.record(z.string(), z.number()) }),
  warnings: z.array(z.string()),
});

/** 201 of POST /api/datasets. */
export const DatasetUploaded = z.object({ id: z.string(), name: z.string(), report: ImportReport });
export type DatasetUploaded = z.infer<typeof DatasetUploaded>;

/** `:id` of a dataset route. */
export const DatasetIdParams = z.object({ id: z.string().max(128) });

/** GET /api/datasets/:id/data. */
export const DatasetDataQuery = z.object({
  split: z.enum(["all", "test"]).optional().meta({ description: "test: only the test split" }),
});
