import { hostname, networkInterfaces } from "node:os";
import type { FastifyReply, FastifyRequest } from "fastify";

/** Which Host and Origin headers the server accepts. */
export interface OriginPolicy {
  /** Host names (lower case, no port) requests may be addressed to. */
  allowedHosts: ReadonlySet<string>;
  /** Origins (`scheme://host[:port]`, lower case) besides the server's own that may change state. */
  allowedOrigins: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]"]);

/** `example.org:3000` → `example.org`, `[::1]:3000` → `::1`; null for a header that is not a host. */
export function hostNameOf(hostHeader: string): string | null {
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(hostHeader);
  if (bracketed) return bracketed[1]!.toLowerCase();
  const plain = /^([a-z0-9.-]+)(?::\d+)?$/i.exec(hostHeader);
  return plain ? plain[1]!.toLowerCase().replace(/\.$/, "") : null;
}

/**
 * The hosts a server bound to `bindHost` answers to: loopback names, the bound
 * address, and, when bound to every interface, this machine's addresses and
 * name; plus `extraHosts` (ALLOWED_HOSTS). A Host outside this set is how a
 * DNS-rebinding page reaches a loopback server, so it is refused.
 */
export function originPolicy(bindHost: string, extraHosts: string[], extraOrigins: string[]): OriginPolicy {
  const hosts = new Set([...LOOPBACK_NAMES, ...extraHosts.map((h) => h.toLowerCase())]);
  const bind = bindHost.toLowerCase().replace(/^\[|\]$/g, "");
  if (WILDCARD_BINDS.has(bindHost)) {
    hosts.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? []) hosts.add(address.address.toLowerCase().replace(/%.*$/, ""));
    }
  } else {
    hosts.add(bind);
  }
  return { allowedHosts: hosts, allowedOrigins: new Set(extraOrigins.map((o) => o.toLowerCase().replace(/\/$/, ""))) };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether a request can change state: any unsafe method, and WebSocket upgrades (their messages can abort runs). */
function changesState(req: FastifyRequest): boolean {
  return !SAFE_METHODS.has(req.method) || req.headers.upgrade?.toLowerCase() === "websocket";
}

/** Whether `origin` is the server's own (same host and port as the request's Host) or listed. */
function originAllowed(origin: string, hostHeader: string, policy: OriginPolicy): boolean {
  const normalized = origin.toLowerCase().replace(/\/$/, "");
  if (policy.allowedOrigins.has(normalized)) return true;
  if (!URL.canParse(normalized)) return false;
  return new URL(normalized).host === hostHeader.toLowerCase();
}

/**
 * An `onRequest` hook for every request: 421 when the Host header names a host
 * this server is not, 403 when a browser sends a state-changing request from
 * another site (an `Origin` that is not ours, or `Sec-Fetch-Site: cross-site`
 * without one). Requests without those headers (curl, the CLI) pass: they are
 * not made by a page on another site.
 */
export function guardRequestOrigin(policy: OriginPolicy) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const hostHeader = req.headers.host ?? "";
    const host = hostNameOf(hostHeader);
    if (host === null || !policy.allowedHosts.has(host)) {
      await reply.code(421).send({
        error: `this server does not answer to Host "${hostHeader}"; open it by one of its own names (such as localhost), or add the name to ALLOWED_HOSTS (comma-separated)`,
      });
      return;
    }
    if (!changesState(req)) return;
    const origin = req.headers.origin;
    const crossSite =
      origin !== undefined
        ? !originAllowed(origin, hostHeader, policy)
        : req.headers["sec-fetch-site"] === "cross-site";
    if (crossSite) {
      await reply.code(403).send({
        error: `cross-site request refused: a page at ${origin ?? "another site"} may not change this server's state; open the studio on this server, or add the page's origin to ALLOWED_ORIGINS (comma-separated)`,
      });
    }
  };
}
