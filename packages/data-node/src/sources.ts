import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import yauzl from "yauzl";
import { checkEntryTotals, DatasetImportError, entryBudget, type ImportLimits } from "./limits";

/** One file of a dataset source, by its path relative to the source root ("/"-separated). */
export interface SourceFile {
  path: string;
  size: number;
}

/** A folder or ZIP read file by file; `read` streams one file's bytes, bounded by the limits. */
export interface DatasetSource {
  files: SourceFile[];
  /** Files left out while listing (links, for instance), with the reason. */
  skipped: { file: string; reason: string }[];
  read(file: SourceFile): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Refuses names that could escape the destination: absolute, drive-letter, backslash or `..` paths. */
export function checkEntryName(name: string, where: string): void {
  const refuse = (why: string) => {
    throw new DatasetImportError(
      `${where}: entry "${name}" is refused (${why}); rebuild the archive with plain relative paths`,
    );
  };
  if (name.includes("\\")) refuse("backslash in path");
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) refuse("absolute path");
  if (name.split("/").some((part) => part === "..")) refuse("path traversal with ..");
  if (name.includes("\0")) refuse("NUL byte in name");
}

function tooBig(path: string, size: number, limits: ImportLimits): DatasetImportError {
  return new DatasetImportError(
    `${path} is ${size} bytes, over the ${limits.maxFileBytes}-byte limit per file (maxFileBytes)`,
  );
}

/** A folder on disk as a dataset source; symbolic links are left out, never followed. */
export async function openFolderSource(root: string, limits: ImportLimits): Promise<DatasetSource> {
  const files: SourceFile[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const budget = entryBudget(limits, root);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = relative(root, full).split(sep).join("/");
      if (entry.isSymbolicLink()) skipped.push({ file: path, reason: "symbolic link (not followed)" });
      else if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const { size } = await lstat(full);
        budget.admit(path, size);
        files.push({ path, size });
      }
    }
  };
  await walk(root);
  return {
    files,
    skipped,
    async read(file) {
      if (file.size > limits.maxFileBytes) throw tooBig(file.path, file.size, limits);
      return new Uint8Array(await readFile(join(root, file.path)));
    },
    async close() {},
  };
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/**
 * A ZIP file as a dataset source, read entry by entry from disk (never whole into memory). Refuses
 * links, unsafe names and archives over the limits before reading any image.
 */
export async function openZipSource(zipPath: string, size: number, limits: ImportLimits): Promise<DatasetSource> {
  if (size > limits.maxArchiveBytes) {
    throw new DatasetImportError(
      `${zipPath} is ${size} bytes, over the ${limits.maxArchiveBytes}-byte archive limit (maxArchiveBytes)`,
    );
  }
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) =>
      err ? reject(new DatasetImportError(`${zipPath} is not a readable ZIP archive (${err.message})`)) : resolve(z),
    ),
  );
  const entries = new Map<string, yauzl.Entry>();
  const files: SourceFile[] = [];
  const budget = entryBudget(limits, zipPath);
  try {
    if (zip.entryCount > limits.maxEntries) checkEntryTotals(zip.entryCount, 0, limits, zipPath);
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        reject(
          err instanceof DatasetImportError ? err : new DatasetImportError(`${zipPath} is refused: ${err.message}`),
        );
      };
      zip.on("error", fail);
      zip.on("end", () => resolve());
      zip.on("entry", (entry: yauzl.Entry) => {
        try {
          checkEntryName(entry.fileName, zipPath);
          if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
            throw new DatasetImportError(
              `${zipPath}: entry "${entry.fileName}" is a symbolic link; links are refused in archives`,
            );
          }
          if (!entry.fileName.endsWith("/")) {
            budget.admit(entry.fileName, entry.uncompressedSize);
            files.push({ path: entry.fileName, size: entry.uncompressedSize });
            entries.set(entry.fileName, entry);
          }
          zip.readEntry();
        } catch (err) {
          fail(err as Error);
        }
      });
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw err;
  }
  return {
    files,
    skipped: [],
    read(file) {
      const entry = entries.get(file.path);
      if (!entry) return Promise.reject(new Error(`${file.path} is not in ${zipPath}`));
      if (entry.uncompressedSize > limits.maxFileBytes)
        return Promise.reject(tooBig(file.path, entry.uncompressedSize, limits));
      return new Promise((resolve, reject) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          const chunks: Buffer[] = [];
          let received = 0;
          stream.on("data", (chunk: Buffer) => {
            received += chunk.length;
            // yauzl checks the declared size too; this guards memory even if it did not.
            if (received > entry.uncompressedSize) stream.destroy(new Error("entry is larger than its declared size"));
            else chunks.push(chunk);
          });
          stream.on("error", reject);
          stream.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
        });
      });
    },
    async close() {
      zip.close();
    },
  };
}
