import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/** The token a request presents: `Authorization: Bearer <t>`, else `?access_token=<t>` (EventSource and WebSocket cannot set headers). */
function presentedToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (header !== undefined) return /^Bearer /i.test(header) ? header.slice(7).trim() : null;
  const query = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof query === "string" ? query : null;
}

/** Compares in constant time so the token cannot be guessed byte by byte from response times. */
function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * An `onRequest` hook that answers 401 unless the request carries `token`.
 * Registered inside the API's plugin scope, it guards every route the router
 * matched there, however the URL was spelled (percent-encoding, absolute form,
 * WebSocket upgrade), because it runs after routing rather than on the raw URL.
 */
export function requireAccessToken(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = presentedToken(req);
    if (given !== null && sameSecret(given, token)) return;
    const why = given === null ? "this server needs an access token" : "the access token is wrong";
    await reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="layerlab"')
      .send({ error: `${why}: send Authorization: Bearer <LAYERLAB_TOKEN> (or ?access_token= for event streams)` });
  };
}
