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

/** Counts a source's files against the entry limits as they are listed, before any layout is worked out. */
export interface EntryBudget {
  /** Counts one file; throws a DatasetImportError naming the file or the limit it breaks. */
  admit(path: string, size: number): void;
}

/**
 * An entry budget for the source `where`: every file counts, whatever the layout later makes of it (a file
 * the layout leaves unread still has to fit), so a ZIP is refused or accepted for what it holds.
 */
export function entryBudget(limits: ImportLimits, where: string): EntryBudget {
  let count = 0;
  let total = 0;
  return {
    admit(path, size) {
      if (size > limits.maxFileBytes) {
        throw new DatasetImportError(
          `${where}: "${path}" is ${size} bytes, over the ${limits.maxFileBytes}-byte limit per file (maxFileBytes); remove it or shrink it below the limit`,
        );
      }
      count += 1;
      total += size;
      checkEntryTotals(count, total, limits, where);
    },
  };
}

/** Throws when `count` files of `total` bytes are over the entry-count or uncompressed-total limit. */
export function checkEntryTotals(count: number, total: number, limits: ImportLimits, where: string): void {
  if (count > limits.maxEntries) {
    throw new DatasetImportError(
      `${where} holds more than ${limits.maxEntries} files; split the dataset or raise maxEntries`,
    );
  }
  if (total > limits.maxTotalBytes) {
    throw new DatasetImportError(
      `${where} unpacks to more than ${limits.maxTotalBytes} bytes; shrink the images or raise maxTotalBytes`,
    );
  }
}
