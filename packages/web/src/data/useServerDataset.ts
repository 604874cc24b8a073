import type { Dataset } from "@layerlab/data-core";
import { useEffect, useState } from "react";
import { fetchDatasetData } from "../api/client";
import type { DatasetChoice } from "./datasets";
import { decodeDatasetPayload } from "./payload";

/**
 * The images of a server dataset, downloaded for the data panel's samples and
 * class counts. The server marks the download cacheable, so training in this
 * browser later reuses it instead of downloading it again.
 */
export function useServerDataset(choice: DatasetChoice): {
  dataset: Dataset | null;
  loading: boolean;
  error: string | null;
} {
  const id = choice.kind === "server" ? choice.id : null;
  const [state, setState] = useState<{ id: string | null; dataset: Dataset | null; error: string | null }>({
    id: null,
    dataset: null,
    error: null,
  });
  useEffect(() => {
    if (!id) return;
    let live = true;
    fetchDatasetData(id)
      .then((buffer) => decodeDatasetPayload(buffer, id))
      .then(
        (dataset) => live && setState({ id, dataset, error: null }),
        (err) => live && setState({ id, dataset: null, error: err instanceof Error ? err.message : String(err) }),
      );
    return () => {
      live = false;
    };
  }, [id]);
  if (!id) return { dataset: null, loading: false, error: null };
  const current = state.id === id;
  return { dataset: current ? state.dataset : null, loading: !current, error: current ? state.error : null };
}
