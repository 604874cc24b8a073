/**
 * Imports a TypeScript module (a `file:` URL) through a bundle of it cached
 * beside its package (`<package>/node_modules/.cache/layerlab-launch/`),
 * building the bundle first when it is missing or any of its files changed.
 * `cacheDir` replaces the default cache folder.
 */
export function importTypeScript(
  entry: URL | string,
  options?: { cacheDir?: string },
): Promise<Record<string, unknown>>;
