/**
 * The safetensors metadata key under which a run's weights carry the input
 * normalisation (`{"mean": [...], "std": [...]}`), so that every reader —
 * runner, exporter, server, page — preprocesses images as training did.
 */
export const NORMALIZATION_METADATA_KEY = "layerlab.normalization";
