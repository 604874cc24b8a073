import { nn, numpy as np } from "@jax-js/jax";

/**
 * Mean softmax cross-entropy of `logits` [N, C] against integer `labels` [N],
 * with label smoothing ε (targets (1−ε)·onehot + ε/C, as PyTorch's
 * `CrossEntropyLoss(label_smoothing=ε)`). Consumes both arguments.
 */
export function softmaxCrossEntropy(logits: np.Array, labels: np.Array, labelSmoothing = 0): np.Array {
  const [n = 1, classes = 1] = logits.shape;
  const logp = nn.logSoftmax(logits, -1); // [N, C]
  let target = nn.oneHot(labels, classes); // [N, C]
  if (labelSmoothing > 0) target = target.mul(1 - labelSmoothing).add(labelSmoothing / classes);
  return logp
    .mul(target)
    .sum()
    .mul(-1 / n);
}

/** Number of rows whose arg-max equals the label, as a float32 scalar. Consumes both arguments. */
export function correctCount(logits: np.Array, labels: np.Array): np.Array {
  return np.equal(np.argmax(logits, -1), labels).astype(np.float32).sum();
}
