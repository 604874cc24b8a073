import { upgradeSpecFormat } from "@layerlab/spec";
import { isDatasetChoice } from "../data/datasets";
import type { Studio } from "./studio";

/** The query parameter that carries the shared setup. */
export const SETUP_PARAM = "setup";
const SETUP_VERSION = 1;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(code: string): string {
  const padded = code.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((code.length + 3) % 4);
  const binary = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The whole setup (model, config, data) as one URL-safe token. */
export function encodeSetup(studio: Studio): string {
  return toBase64Url(JSON.stringify({ v: SETUP_VERSION, ...studio }));
}

/** The outcome of reading a shared token: the studio, or why it could not be read. */
export type DecodedSetup = { ok: true; studio: Studio } | { ok: false; error: string };

/**
 * Reads a token made by `encodeSetup`. The spec and config are kept as they
 * are, even when invalid: the builder shows their problems rather than
 * refusing the link.
 */
export function decodeSetup(token: string): DecodedSetup {
  let value: unknown;
  try {
    value = JSON.parse(fromBase64Url(token));
  } catch {
    return { ok: false, error: "the shared link is damaged (it is not valid base64 JSON) — ask for the link again" };
  }
  if (typeof value !== "object" || value === null) return { ok: false, error: "the shared link holds no setup" };
  const v = value as Record<string, unknown>;
  if (v.v !== SETUP_VERSION) {
    return {
      ok: false,
      error: `the shared link has setup version ${String(v.v)}; this studio reads version ${SETUP_VERSION}`,
    };
  }
  if (typeof v.spec !== "object" || v.spec === null) return { ok: false, error: "the shared link has no model spec" };
  if (typeof v.config !== "object" || v.config === null)
    return { ok: false, error: "the shared link has no training config" };
  if (!isDatasetChoice(v.dataset))
    return { ok: false, error: "the shared link names a dataset this studio cannot read" };
  return {
    ok: true,
    // Links from before graphs say "layerlab.model/1": read as today's format, so edits save as that.
    studio: {
      spec: upgradeSpecFormat(v.spec as Studio["spec"]),
      config: v.config as Studio["config"],
      dataset: v.dataset,
    },
  };
}

/** A link to `base` (an href) that reopens `studio`. */
export function shareLink(base: string, studio: Studio): string {
  const url = new URL(base);
  url.searchParams.set(SETUP_PARAM, encodeSetup(studio));
  return url.toString();
}

/** The studio a URL's setup parameter describes, null when it has none. */
export function setupFromUrl(href: string): DecodedSetup | null {
  const token = new URL(href).searchParams.get(SETUP_PARAM);
  return token === null ? null : decodeSetup(token);
}
