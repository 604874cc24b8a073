import type { IncomingMessage } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "../http-error";

/** Room for the multipart framing and the small fields around the file: a body this much over the limit may still carry a file within it. */
const MULTIPART_FRAMING_BYTES = 64 * 1024;

const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "");

/** The 413 for an upload over MAX_UPLOAD_MB; `size` (bytes) when the client declared it. */
export function uploadTooLarge(maxBytes: number, size?: number): HttpError {
  const what = size === undefined ? "the upload is larger than" : `the upload is ${megabytes(size)} MB, over`;
  return new HttpError(
    413,
    `${what} the server's limit of ${megabytes(maxBytes)} MB (MAX_UPLOAD_MB); split the dataset or ask the host to raise MAX_UPLOAD_MB`,
  );
}

/**
 * Lets Node close the connection once the reply is sent: the unread rest of a refused body is then
 * dropped with the connection instead of being read and thrown away.
 */
export function closeAfterReply(reply: FastifyReply): void {
  reply.header("connection", "close");
}

/** An onRequest hook that refuses, before reading any of the body, an upload whose Content-Length is over `maxBytes`. */
export function refuseDeclaredOversize(maxBytes: number) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_FRAMING_BYTES) {
      closeAfterReply(reply);
      throw uploadTooLarge(maxBytes, declared);
    }
  };
}

/** Watches a request body for a stall; see `watchForStall`. */
export interface StallWatch {
  /** Aborted when the body stalls, with the 408 as its reason. */
  signal: AbortSignal;
  /** Rejects with the 408 when the body stalls; never settles otherwise. */
  stalled: Promise<never>;
  /** Stops watching (call once the body is read; a finished body sends nothing more). */
  stop(): void;
}

/**
 * Fires when no byte of `req`'s body arrives for `idleMs`: a client that stopped sending mid-upload would
 * otherwise hold the request, its socket and its temporary file open for ever.
 */
export function watchForStall(req: IncomingMessage, idleMs: number): StallWatch {
  const controller = new AbortController();
  const socket = req.socket;
  const previousTimeout = socket.timeout ?? 0;
  let rejectStalled!: (err: HttpError) => void;
  const stalled = new Promise<never>((_, reject) => {
    rejectStalled = reject;
  });
  stalled.catch(() => {});
  const onTimeout = () => {
    const err = new HttpError(
      408,
      `no data arrived for ${idleMs / 1000} s, so the upload was dropped (UPLOAD_IDLE_TIMEOUT_S); check the connection and upload again`,
    );
    controller.abort(err);
    rejectStalled(err);
  };
  // The request's own timeout event (not the socket's): with a listener there, Node leaves the socket open for the reply.
  req.setTimeout(idleMs, onTimeout);
  let stopped = false;
  return {
    signal: controller.signal,
    stalled,
    stop() {
      if (stopped) return;
      stopped = true;
      req.off("timeout", onTimeout);
      if (!socket.destroyed) socket.setTimeout(previousTimeout);
    },
  };
}
