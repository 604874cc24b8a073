import { DatasetImportError } from "./limits";
import type { SourceFile } from "./sources";

/** How a dataset's folders are arranged (see DESIGN.md "Custom datasets"). */
export type DatasetLayout = "manifest" | "folders-with-split" | "folders";

/** Which split an image belongs to; "pool" images are split later, seeded and stratified. */
export type PlannedSplit = "train" | "test" | "pool";

/** One image an import will decode, with its split and class name. */
export interface PlannedImage {
  file: SourceFile;
  split: PlannedSplit;
  className: string;
}

/** A file left out of an import and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** What an import will read: its layout, images, and what it leaves out. */
export interface ImportPlan {
  layout: DatasetLayout;
  images: PlannedImage[];
  skipped: SkippedFile[];
  warnings: string[];
}

/** Label manifests (`train.json`, `test.json`) already parsed from JSON. */
export interface Manifests {
  train?: unknown;
  test?: unknown;
}

const TEST_DIRS = ["test", "val", "valid", "validation"];

function isHidden(path: string): boolean {
  return path.split("/").some((part) => part.startsWith(".") || part === "__MACOSX" || part === "Thumbs.db");
}

/** Drops a single wrapping folder ("my-dataset/train/…") so layouts are recognised at the root. */
export function stripCommonRoot(files: SourceFile[]): { files: SourceFile[]; root: string } {
  let root = "";
  let current = files;
  for (;;) {
    const first = new Set(current.map((f) => f.path.split("/")[0]));
    const [only] = first;
    const allNested = current.every((f) => f.path.includes("/"));
    if (first.size !== 1 || !allNested || only === "train" || TEST_DIRS.includes(only!))
      return { files: current, root };
    const inner = current.map((f) => ({ ...f, path: f.path.slice(only!.length + 1) }));
    // "only/1.png" is a (single) class folder, not a wrapper: keep it unless the inner level has a layout.
    const innerHasLayout = inner.some((f) => f.path === "train.json") || inner.every((f) => f.path.includes("/"));
    if (!innerHasLayout) return { files: current, root };
    root += `${only}/`;
    current = inner;
  }
}

function manifestMap(manifest: unknown, name: string, dir: string): Map<string, string> {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    throw new DatasetImportError(`${name} must be a JSON object mapping file name to label, e.g. {"cat1.jpg": "cat"}`);
  }
  const out = new Map<string, string>();
  for (const [key, label] of Object.entries(manifest)) {
    if (typeof label !== "string" && typeof label !== "number") {
      throw new DatasetImportError(
        `${name}: the label of "${key}" must be a string or number, got ${JSON.stringify(label)}`,
      );
    }
    const clean = key.replace(/^\.\//, "");
    out.set(clean.startsWith(`${dir}/`) ? clean : `${dir}/${clean}`, String(label).trim());
  }
  return out;
}

/** The manifest layout: `train/` `test/` plus `train.json` `test.json` mapping file → label. */
function planManifest(files: SourceFile[], manifests: Manifests): ImportPlan {
  const plan: ImportPlan = { layout: "manifest", images: [], skipped: [], warnings: [] };
  const byPath = new Map(files.map((f) => [f.path, f]));
  const splits: ["train" | "test", unknown][] = [["train", manifests.train]];
  if (manifests.test !== undefined) splits.push(["test", manifests.test]);
  else plan.warnings.push("no test.json: a seeded, stratified share of the training images is held out for testing");
  const labelled = new Set<string>();
  for (const [split, manifest] of splits) {
    for (const [path, label] of manifestMap(manifest, `${split}.json`, split)) {
      const file = byPath.get(path);
      if (!file) plan.skipped.push({ file: path, reason: `listed in ${split}.json but missing from the dataset` });
      else if (!label) plan.skipped.push({ file: path, reason: `empty label in ${split}.json` });
      else {
        labelled.add(path);
        plan.images.push({ file, split: manifests.test === undefined ? "pool" : split, className: label });
      }
    }
  }
  for (const f of files) {
    if (labelled.has(f.path) || f.path === "train.json" || f.path === "test.json") continue;
    const split = f.path.split("/")[0];
    const reason =
      split === "train" || split === "test"
        ? `no label in ${split}.json`
        : "outside train/ and test/ (not part of the dataset)";
    plan.skipped.push({ file: f.path, reason });
  }
  return plan;
}

/** The ImageFolder layouts: `class/file`, or `train/class/file` with `test/` or `val/` beside it. */
function planFolders(files: SourceFile[]): ImportPlan {
  const top = new Set(files.filter((f) => f.path.includes("/")).map((f) => f.path.split("/")[0]!));
  const testDir = top.has("train") ? TEST_DIRS.find((d) => top.has(d)) : undefined;
  const plan: ImportPlan = {
    layout: testDir ? "folders-with-split" : "folders",
    images: [],
    skipped: [],
    warnings: [],
  };
  const ignoredTestDirs = testDir ? TEST_DIRS.filter((d) => d !== testDir && top.has(d)) : [];
  if (ignoredTestDirs.length)
    plan.warnings.push(`${ignoredTestDirs.join("/, ")}/ ignored: ${testDir}/ is used as the test split`);
  for (const f of files) {
    const parts = f.path.split("/");
    let split: PlannedSplit = "pool";
    let rest = parts;
    if (top.has("train")) {
      if (parts[0] === "train") split = testDir ? "train" : "pool";
      else if (parts[0] === testDir) split = "test";
      else {
        plan.skipped.push({ file: f.path, reason: `outside train/${testDir ? ` and ${testDir}/` : ""}` });
        continue;
      }
      rest = parts.slice(1);
    }
    if (rest.length < 2) {
      plan.skipped.push({ file: f.path, reason: "not inside a class folder" });
      continue;
    }
    plan.images.push({ file: f, split, className: rest[0]! });
  }
  return plan;
}

/** Works out the layout of a dataset's files and which image goes where; pure, so it is easy to test. */
export function planImport(allFiles: SourceFile[], manifests: Manifests): ImportPlan {
  const hidden = allFiles.filter((f) => isHidden(f.path));
  const files = allFiles.filter((f) => !isHidden(f.path));
  const plan = manifests.train !== undefined ? planManifest(files, manifests) : planFolders(files);
  plan.skipped.push(...hidden.map((f) => ({ file: f.path, reason: "hidden or system file" })));
  plan.images.sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0));
  return plan;
}

/** Class names in a stable order: numerically when every name is a number, else by code point. */
export function sortClassNames(names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  const numeric = unique.every((n) => /^-?\d+(\.\d+)?$/.test(n));
  return unique.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}
