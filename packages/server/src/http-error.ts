/** An error answered with its status and a JSON body `{error, ...extra}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Throws a 404 naming what is missing when `value` is undefined. */
export function found<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new HttpError(404, `${what} does not exist`);
  return value;
}
