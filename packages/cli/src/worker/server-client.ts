import { ErrorBody } from "@layerlab/api";

/** The server answered that the token is missing or wrong: the worker cannot do anything, so it stops. */
export class TokenRefusedError extends Error {
  constructor(
    readonly server: string,
    detail: string,
  ) {
    super(`the server at ${server} refused the token (401 Unauthorized: ${detail})`);
    this.name = "TokenRefusedError";
  }
}

/** The server refused a request for a reason retrying does not change (a 4xx other than 401). */
export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    what: string,
  ) {
    super(`${what}: ${status} ${detail}`);
    this.name = "RefusedError";
  }
}

/** What a request sends. */
export interface RequestOptions {
  method: "GET" | "POST" | "PUT";
  /** JSON-encoded unless it is bytes. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Stop retrying (and reject with the abort reason) once this fires. */
  signal?: AbortSignal;
}

/** Statuses that say "try again later": the server is starting, overloaded, or failed on its side. */
const RETRYABLE = (status: number) => status >= 500 || status === 408 || status === 429;

const FIRST_BACKOFF_MS = 100;

/**
 * The worker's HTTP side: every request carries the token, and network
 * errors and 5xx answers are retried with growing pauses (up to `maxBackoffMs`)
 * until they succeed, so a restarted or briefly unreachable server loses
 * nothing. A 401 throws TokenRefusedError, any other 4xx RefusedError.
 */
export class ServerClient {
  readonly base: string;
  /** Called once per outage when the server stops answering, and once when it is back. */
  onReachability: (reachable: boolean, detail: string) => void = () => {};
  #reachable = true;

  constructor(
    server: string,
    readonly token: string | undefined,
    readonly maxBackoffMs = 1000,
  ) {
    this.base = server.replace(/\/+$/, "");
  }

  /** Sends a request until the server answers it with something other than a retryable status. */
  async request(path: string, opts: RequestOptions): Promise<Response> {
    let pause = FIRST_BACKOFF_MS;
    for (;;) {
      opts.signal?.throwIfAborted();
      let res: Response | null = null;
      let problem: string;
      try {
        res = await fetch(`${this.base}${path}`, {
          method: opts.method,
          headers: {
            ...(this.token && { authorization: `Bearer ${this.token}` }),
            ...(opts.body !== undefined &&
              !(opts.body instanceof Uint8Array) && { "content-type": "application/json" }),
            ...(opts.body instanceof Uint8Array && { "content-type": "application/octet-stream" }),
            ...opts.headers,
          },
          ...(opts.body !== undefined && {
            body: opts.body instanceof Uint8Array ? (opts.body as Uint8Array<ArrayBuffer>) : JSON.stringify(opts.body),
          }),
          ...(opts.signal && { signal: opts.signal }),
        });
        if (!RETRYABLE(res.status)) {
          this.#setReachable(true, "");
          return await this.#checked(res, `${opts.method} ${path}`);
        }
        problem = `${res.status} ${await errorText(res)}`;
      } catch (err) {
        if (err instanceof TokenRefusedError || err instanceof RefusedError) throw err;
        opts.signal?.throwIfAborted();
        problem = causeOf(err);
      }
      this.#setReachable(false, problem);
      await sleep(pause, opts.signal);
      pause = Math.min(this.maxBackoffMs, pause * 2);
    }
  }

  /** POSTs JSON and parses the JSON answer (null for 204). */
  async postJson(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const res = await this.request(path, { method: "POST", body, ...(signal && { signal }) });
    return res.status === 204 ? null : res.json();
  }

  async #checked(res: Response, what: string): Promise<Response> {
    if (res.ok || res.status === 304) return res;
    const detail = await errorText(res);
    if (res.status === 401) throw new TokenRefusedError(this.base, detail);
    throw new RefusedError(res.status, detail, `the server refused ${what}`);
  }

  #setReachable(reachable: boolean, detail: string): void {
    if (reachable === this.#reachable) return;
    this.#reachable = reachable;
    this.onReachability(reachable, detail);
  }
}

/** The `error` of a LayerLab error body, or the status text. */
async function errorText(res: Response): Promise<string> {
  const body: unknown = await res.json().catch(() => null);
  const parsed = ErrorBody.safeParse(body);
  return parsed.success ? parsed.data.error : res.statusText;
}

/** A fetch failure's real reason (undici hides it in `cause`, e.g. ECONNREFUSED). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

/** Waits `ms`, or rejects when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
