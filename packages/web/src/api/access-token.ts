/*
 * The server's access token (LAYERLAB_TOKEN) as the page holds it. A host
 * shares a link with `?access_token=…`; the page keeps the token in this
 * browser's storage, takes it out of the address bar, and sends it with every
 * API call: as a Bearer header where it can, as `?access_token=` where the
 * browser cannot set headers (EventSource, download links, images).
 */

const STORAGE_KEY = "layerlab.accessToken";

/** The token this browser holds for the server, or null. */
export function accessToken(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Keeps `token` for later visits (null forgets it). */
export function setAccessToken(token: string | null): void {
  if (token === null || token.trim() === "") localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, token.trim());
}

/** Moves `?access_token=` from the page's address into storage, so it is neither bookmarked nor shown. */
export function captureAccessTokenFromAddress(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("access_token");
  if (token === null) return;
  setAccessToken(token);
  url.searchParams.delete("access_token");
  window.history.replaceState(null, "", url.toString());
}

/** The Authorization header for the held token (none without one). */
export function authHeaders(): Record<string, string> {
  const token = accessToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** `url` with `access_token` added when a token is held: for EventSource, links and images. */
export function withAccessToken(url: string): string {
  const token = accessToken();
  if (!token) return url;
  return `${url}${url.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}`;
}
