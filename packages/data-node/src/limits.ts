/** Bounds on what an import accepts (zip bombs, huge uploads, decompression bombs in images). */
export interface ImportLimits {
  /** Size of the ZIP file itself. Default 2 GiB. */
  maxArchiveBytes: number;
  /** Files (entries) in the archive or folder. Default 200,000. */
  maxEntries: number;
  /** Sum of all uncompressed file sizes. Default 4 GiB. */
  maxTotalBytes: number;
  /** One file's uncompressed size. Default 64 MiB. */
  maxFileBytes: number;
  /** Pixels of one image (width × height). Default 25 megapixels. */
  maxImagePixels: number;
}

/** The default import limits. */
export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxArchiveBytes: 2 * 1024 ** 3,
  maxEntries: 200_000,
  maxTotalBytes: 4 * 1024 ** 3,
  maxFileBytes: 64 * 1024 ** 2,
  maxImagePixels: 25_000_000,
};

/** A refused import: the message names the file or limit and the fix; nothing was imported. */
export class DatasetImportError extends Error {
  override name = "DatasetImportError";
}
