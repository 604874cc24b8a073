import { type FormEvent, useEffect, useState } from "react";
import { accessToken, authHeaders, setAccessToken } from "./access-token";

type Need = "unknown" | "none" | "token" | "wrong";

/** Asks the server whether the held token (or none) opens its API. */
async function probe(): Promise<Need> {
  try {
    const res = await fetch("/api/datasets", { headers: authHeaders() });
    if (res.status !== 401) return "none";
    return accessToken() ? "wrong" : "token";
  } catch {
    // No server (a static build): the studio trains in the browser only.
    return "none";
  }
}

/**
 * When the server needs an access token the page does not hold (a class's
 * shared server), a form asks for it once; everything else works unchanged.
 */
export function AccessTokenGate() {
  const [need, setNeed] = useState<Need>("unknown");
  const [value, setValue] = useState("");
  useEffect(() => {
    void probe().then(setNeed);
  }, []);
  if (need === "unknown" || need === "none") return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAccessToken(value);
    const next = await probe();
    if (next === "none") window.location.reload();
    else setNeed(next);
  };
  return (
    <form className="banner warn token-gate" onSubmit={submit} aria-label="Access token">
      <p>
        {need === "wrong"
          ? "The access token this browser holds is not accepted by this server."
          : "This LayerLab server needs an access token to list runs, train on the server and save your work."}{" "}
        Ask whoever runs it for the token (it is the server's LAYERLAB_TOKEN), or open the link they shared.
      </p>
      <label>
        Access token{" "}
        <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
      </label>{" "}
      <button type="submit" disabled={value.trim() === ""}>
        Use this token
      </button>
    </form>
  );
}
