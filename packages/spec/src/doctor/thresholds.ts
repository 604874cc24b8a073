/** Below this gradient norm a layer has stopped learning (vanishing gradients). */
export const VANISHING_GRADIENT_NORM = 1e-7;

/** Above this gradient norm a layer's updates blow up (exploding gradients). */
export const EXPLODING_GRADIENT_NORM = 1e3;
