import { type JsTree, numpy as np, tree } from "@jax-js/jax";

/*
 * Gradient transformations in the style of optax: each piece is a pure pair
 * `{init, update}` whose state is a pytree of arrays, so a whole optimizer can
 * live inside one jit-compiled train step and its state can be checkpointed.
 *
 * Ownership follows jax-js everywhere in this folder: every function consumes
 * every array it is given — `init` its params, `update` its updates, state,
 * params and hyperparameters, `applyUpdates` both trees. Callers pass
 * `tree.ref(x)` for whatever they still need afterwards. Returned arrays are
 * freshly owned by the caller.
 */

/** Parameters, gradients or updates: a pytree of arrays such as `{ "0.weight": Array, ... }`. */
export type Tree = JsTree<np.Array>;

/** Optimizer state: a pytree of arrays, so it can cross a `jit` boundary and be saved. */
export type OptState = JsTree<np.Array>;

/**
 * Per-step inputs that change without recompiling: traced scalar arrays, so a
 * learning-rate schedule feeds one compiled step rather than triggering a trace per value.
 */
export type Hyper = { learningRate: np.Array };

/** A pure optimizer piece; see the ownership note at the top of this file. */
export interface GradientTransformation<S extends OptState = OptState> {
  /** The initial state for `params`. Consumes `params`. */
  init(params: Tree): S;
  /** Transforms `updates` and advances `state`. Consumes all four arguments. */
  update(updates: Tree, state: S, params: Tree, hyper: Hyper): [Tree, S];
}

type NoState = Record<string, never>;

/** Maps `fn` over matching leaves; `fn` owns (and must consume) the leaves it is given. */
function mapLeaves(fn: (...leaves: np.Array[]) => np.Array, first: Tree, ...rest: Tree[]): Tree {
  return tree.map(fn, first, ...rest);
}

/** Zeros shaped like each leaf of `params`. Consumes `params`. */
function zerosLikeTree(params: Tree): Tree {
  return mapLeaves((p) => np.zerosLike(p), params);
}

/** 1 − βᵗ for a traced step count t ≥ 1, accurate for β near 1 (float32 `1 - β**t` would cancel). Consumes `count`. */
function oneMinusPower(beta: number, count: np.Array): np.Array {
  if (beta === 0) {
    count.dispose();
    return np.array(1);
  }
  return np.expm1(count.astype(np.float32).mul(Math.log(beta))).neg(); // []
}

/** Applies each transformation in turn, feeding each one's output to the next; its state is the list of theirs. */
export function chain(...transforms: GradientTransformation<OptState>[]): GradientTransformation<OptState[]> {
  return {
    init(params) {
      const states = transforms.map((t) => t.init(tree.ref(params)));
      tree.dispose(params);
      return states;
    },
    update(updates, state, params, hyper) {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        tree.dispose([updates, state, params, hyper]);
        throw new Error(
          `optimizer state has ${Array.isArray(state) ? state.length : "no"} parts but the chain has ${transforms.length}: ` +
            "create the state with this optimizer's init(), or resume from a checkpoint of the same optimizer",
        );
      }
      const next: OptState[] = [];
      let current = updates;
      transforms.forEach((t, i) => {
        const [out, s] = t.update(current, state[i]!, tree.ref(params), tree.ref(hyper));
        current = out;
        next.push(s);
      });
      tree.dispose(params);
      tree.dispose(hyper);
      return [current, next];
    },
  };
}

/** Adds the updates to the parameters: p + u. Consumes both trees; returns the new parameters. */
export function applyUpdates<T extends Tree>(params: T, updates: Tree): T {
  return mapLeaves((p, u) => p.add(u), params, updates) as T;
}

/** Options of `trace`. */
export type TraceOptions = { decay: number; nesterov?: boolean };

/**
 * Momentum: buf ← decay·buf + u, output buf (or u + decay·buf with Nesterov).
 * The buffer starts at zero, so the first step gives buf = u, as PyTorch's SGD does.
 */
export function trace({ decay, nesterov = false }: TraceOptions): GradientTransformation<{ momentum: Tree }> {
  return {
    init: (params) => ({ momentum: zerosLikeTree(params) }),
    update(updates, state, params, hyper) {
      tree.dispose(params);
      tree.dispose(hyper);
      const momentum = mapLeaves((u, buf) => buf.mul(decay).add(u.ref), updates, state.momentum);
      if (!nesterov) {
        tree.dispose(updates);
        return [tree.ref(momentum), { momentum }];
      }
      const out = mapLeaves((u, buf) => u.add(buf.ref.mul(decay)), updates, momentum);
      return [out, { momentum }];
    },
  };
}

/** Options of `scaleByAdam`. */
export type AdamOptions = { beta1: number; beta2: number; epsilon: number };

/** Adam's direction m̂ / (√v̂ + ε), bias-corrected with a traced step count. */
export function scaleByAdam({
  beta1,
  beta2,
  epsilon,
}: AdamOptions): GradientTransformation<{ count: np.Array; mu: Tree; nu: Tree }> {
  return {
    init: (params) => ({
      count: np.array(0, { dtype: np.int32 }),
      mu: zerosLikeTree(tree.ref(params)),
      nu: zerosLikeTree(params),
    }),
    update(updates, state, params, hyper) {
      tree.dispose(params);
      tree.dispose(hyper);
      const count = state.count.add(1); // [] int32
      const mu = mapLeaves((g, m) => m.mul(beta1).add(g.ref.mul(1 - beta1)), updates, state.mu);
      const nu = mapLeaves((g, v) => v.mul(beta2).add(g.ref.mul(g).mul(1 - beta2)), updates, state.nu);
      const correction1 = oneMinusPower(beta1, count.ref); // []
      const sqrtCorrection2 = np.sqrt(oneMinusPower(beta2, count.ref)); // []
      // NOTE: ε is added after dividing √v by √(1 − β₂ᵗ), i.e. outside the square root of v̂,
      // exactly as torch.optim.Adam does: https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html
      const out = mapLeaves(
        (m, v) => m.div(correction1.ref).div(np.sqrt(v).div(sqrtCorrection2.ref).add(epsilon)),
        tree.ref(mu),
        tree.ref(nu),
      );
      correction1.dispose();
      sqrtCorrection2.dispose();
      return [out, { count, mu, nu }];
    },
  };
}

/** Options of `scaleByRms`. */
export type RmsOptions = { alpha: number; epsilon: number };

/**
 * RMSprop's direction u / (√s + ε) with s ← α·s + (1 − α)·u², s starting at zero and
 * no bias correction. Its momentum option is a `trace` chained after this piece.
 */
export function scaleByRms({ alpha, epsilon }: RmsOptions): GradientTransformation<{ squareAverage: Tree }> {
  return {
    init: (params) => ({ squareAverage: zerosLikeTree(params) }),
    update(updates, state, params, hyper) {
      tree.dispose(params);
      tree.dispose(hyper);
      const squareAverage = mapLeaves(
        (g, s) => s.mul(alpha).add(g.ref.mul(g.ref).mul(1 - alpha)),
        updates,
        state.squareAverage,
      );
      // NOTE: ε outside the square root, as in https://pytorch.org/docs/1.13/generated/torch.optim.RMSprop.html
      // (optax's scale_by_rms puts it inside).
      const out = mapLeaves((g, s) => g.div(np.sqrt(s.ref).add(epsilon)), updates, squareAverage);
      return [out, { squareAverage }];
    },
  };
}

/** Options of `scaleByAdagrad`. */
export type AdagradOptions = { initialAccumulator: number; epsilon: number };

/** Adagrad's direction u / (√Σu² + ε), the sum starting at `initialAccumulator`. */
export function scaleByAdagrad({
  initialAccumulator,
  epsilon,
}: AdagradOptions): GradientTransformation<{ sumOfSquares: Tree }> {
  return {
    init: (params) => ({ sumOfSquares: mapLeaves((p) => np.fullLike(p, initialAccumulator), params) }),
    update(updates, state, params, hyper) {
      tree.dispose(params);
      tree.dispose(hyper);
      const sumOfSquares = mapLeaves((g, s) => s.add(g.ref.mul(g.ref)), updates, state.sumOfSquares);
      const out = mapLeaves((g, s) => g.div(np.sqrt(s.ref).add(epsilon)), updates, sumOfSquares);
      return [out, { sumOfSquares }];
    },
  };
}

/** u + rate·p: the shared arithmetic of coupled and decoupled weight decay. */
function addScaledParams(rate: number): GradientTransformation<NoState> {
  return {
    init(params) {
      tree.dispose(params);
      return {};
    },
    update(updates, state, params, hyper) {
      tree.dispose(hyper);
      return [mapLeaves((u, p) => u.add(p.mul(rate)), updates, params), state];
    },
  };
}

/**
 * Coupled L2 weight decay, g ← g + wd·p, placed before the optimizer's scaling
 * (PyTorch's `weight_decay` for SGD, Adam, RMSprop and Adagrad).
 */
export function addWeightDecay(weightDecay: number): GradientTransformation<NoState> {
  return addScaledParams(weightDecay);
}

/**
 * Decoupled weight decay, u ← u + wd·p, placed after the optimizer's scaling and
 * before `scaleByLearningRate`, so p loses lr·wd·p per step (AdamW).
 */
export function addDecayedWeights(weightDecay: number): GradientTransformation<NoState> {
  return addScaledParams(weightDecay);
}

/** u ← −lr·u, with lr read from `hyper` so a changing learning rate reuses one compiled step. */
export function scaleByLearningRate(): GradientTransformation<NoState> {
  return {
    init(params) {
      tree.dispose(params);
      return {};
    },
    update(updates, state, params, hyper) {
      tree.dispose(params);
      const negLearningRate = hyper.learningRate.neg(); // []
      const out = mapLeaves((u) => u.mul(negLearningRate.ref), updates);
      negLearningRate.dispose();
      return [out, state];
    },
  };
}
