import { ACTIVATION_DEFAULT_ALPHA, LEARNING_RATE_RANGES } from "@layerlab/spec";
import { helpFor, recommendedFor, usualLearningRate, usualLearningRates } from "./schemaHints";

/** One term of the glossary: what it means in plain words and, where one applies, the range people usually pick. */
export interface GlossaryEntry {
  /** Stable id: the entry's address is `#/glossary/<id>` and its element id `glossary-<id>`. */
  id: string;
  term: string;
  /** Other names people search for (abbreviations, library names). */
  aka?: string[];
  definition: string;
  /** The usual or recommended values, in words. */
  range?: string;
  /** Ids of entries worth reading next. */
  related?: string[];
}

/** The glossary, in reading order within each group: training, then layers, then results. */
export const GLOSSARY: readonly GlossaryEntry[] = [
  // Training
  {
    id: "learning-rate",
    term: "Learning rate",
    aka: ["lr", "step size"],
    definition:
      "How big a step the optimizer takes each time it updates the weights. Too small and the loss creeps down for ages; too large and it jumps around or blows up (diverges). It is the first setting to try when training goes wrong.",
    range: usualLearningRates(),
    related: ["optimizer", "schedule", "learning-rate-range", "divergence"],
  },
  {
    id: "learning-rate-range",
    term: "Learning-rate range",
    aka: ["lr range", "runs filter"],
    definition: `The Runs page groups learning rates into named ranges so you can filter runs by them: ${LEARNING_RATE_RANGES.map((r) => r.label).join("; ")}. Each range includes its lower bound and excludes its upper one, so every rate lies in exactly one.`,
    related: ["learning-rate"],
  },
  {
    id: "epoch",
    term: "Epoch",
    definition:
      "One full pass over the training data. After each epoch the studio measures the validation loss and accuracy. More epochs give the model more chances to learn, and more chances to overfit.",
    range: recommendedFor("epochs"),
    related: ["step", "early-stopping", "overfitting"],
  },
  {
    id: "batch-size",
    term: "Batch size",
    aka: ["mini-batch"],
    definition:
      "How many images the model looks at before it updates its weights once. Larger batches give smoother, faster steps per image but fewer updates per epoch; smaller batches are noisier and sometimes generalise better.",
    range: recommendedFor("batchSize"),
    related: ["step", "epoch", "learning-rate"],
  },
  {
    id: "step",
    term: "Step",
    aka: ["iteration", "update"],
    definition:
      "One update of the weights, made from one batch. An epoch has (training images ÷ batch size) steps. The live loss curve has one point per step.",
    related: ["batch-size", "epoch", "gradient"],
  },
  {
    id: "optimizer",
    term: "Optimizer",
    definition:
      "The rule that turns gradients into weight changes. Plain SGD steps straight down the gradient; Adam, AdamW, RMSprop and Adagrad scale each weight's step by how large its gradients have been, which makes them less sensitive to the learning rate.",
    range: `Learning rates: ${usualLearningRates()}`,
    related: ["sgd", "adam", "adamw", "rmsprop", "adagrad", "learning-rate"],
  },
  {
    id: "sgd",
    term: "SGD",
    aka: ["stochastic gradient descent"],
    definition:
      "Stochastic gradient descent: move each weight a little against its gradient, computed on one batch. Simple and well understood; with momentum it often matches fancier optimizers, but it needs a well-chosen learning rate.",
    range: `Learning rate ${usualLearningRate("sgd")}`,
    related: ["momentum", "optimizer", "learning-rate"],
  },
  {
    id: "adam",
    term: "Adam",
    definition:
      "An optimizer that keeps a running average of each weight's gradient (its direction) and of its square (its size), and steps by their ratio. Works well out of the box, which is why it is the studio's default.",
    range: `Learning rate ${usualLearningRate("adam")}`,
    related: ["adam-betas", "adamw", "epsilon", "optimizer"],
  },
  {
    id: "adamw",
    term: "AdamW",
    definition:
      "Adam with weight decay applied directly to the weights instead of mixed into the gradient. The decay then works as intended, so AdamW is the usual choice when you use weight decay.",
    range: `Learning rate ${usualLearningRate("adamw")}`,
    related: ["adam", "weight-decay"],
  },
  {
    id: "rmsprop",
    term: "RMSprop",
    definition:
      "An optimizer that divides each weight's step by a running average of its recent gradient sizes, so weights with large gradients take smaller steps. Its alpha sets how quickly that average forgets.",
    range: `Learning rate ${usualLearningRate("rmsprop")}. Alpha: ${helpFor("optimizer.alpha")}`,
    related: ["adam", "momentum", "optimizer"],
  },
  {
    id: "adagrad",
    term: "Adagrad",
    definition:
      "An optimizer that divides each weight's step by the sum of all its past squared gradients. Steps only ever shrink, so it suits short runs and sparse features and can stall on long runs.",
    range: `Learning rate ${usualLearningRate("adagrad")}. Initial accumulator: ${helpFor("optimizer.initialAccumulator")}`,
    related: ["rmsprop", "optimizer"],
  },
  {
    id: "momentum",
    term: "Momentum",
    aka: ["nesterov"],
    definition:
      "Lets the optimizer keep part of its previous step, like a ball rolling downhill: it speeds up along consistent directions and damps zig-zagging. Nesterov momentum looks one step ahead before correcting and is usually a little better.",
    range: `${recommendedFor("optimizer.momentum")} for SGD. ${helpFor("optimizer.momentum")}`,
    related: ["sgd", "rmsprop"],
  },
  {
    id: "adam-betas",
    term: "Adam's betas",
    aka: ["beta1", "beta2", "β1", "β2"],
    definition:
      "How quickly Adam's two running averages forget old gradients: beta1 for the average gradient (the direction), beta2 for the average squared gradient (the size). Values close to 1 remember longer.",
    range: `beta1: ${helpFor("optimizer.beta1")} beta2: ${helpFor("optimizer.beta2")}`,
    related: ["adam", "epsilon"],
  },
  {
    id: "epsilon",
    term: "Epsilon",
    aka: ["eps", "ε"],
    definition:
      "A tiny number added before dividing, so that a weight whose gradients have been near zero does not get a huge step. It rarely needs changing.",
    range: helpFor("optimizer.epsilon"),
    related: ["adam", "rmsprop", "batch-norm"],
  },
  {
    id: "weight-decay",
    term: "Weight decay",
    aka: ["L2", "regularisation", "regularization"],
    definition:
      "Pulls every weight a little towards zero at each step, which keeps the model simpler and can reduce overfitting. With AdamW the pull is applied directly to the weights.",
    range: recommendedFor("weightDecay"),
    related: ["adamw", "overfitting", "dropout"],
  },
  {
    id: "schedule",
    term: "Learning-rate schedule",
    aka: ["schedule", "lr decay", "cosine", "step decay", "exponential decay", "gamma", "milestones"],
    definition:
      "How the learning rate changes during a run. Constant keeps it fixed; step multiplies it by gamma at chosen epochs (milestones); exponential multiplies it by gamma after every epoch; cosine lowers it smoothly to a minimum by the last step. Lowering the rate late in training usually squeezes out a little more accuracy.",
    range: `Step: ${helpFor("schedule.gamma")} Exponential: ${helpFor("schedule.gamma", "exponential")} Cosine: ${helpFor("schedule.minLearningRate")}`,
    related: ["learning-rate", "warmup"],
  },
  {
    id: "warmup",
    term: "Warm-up",
    aka: ["warmup"],
    definition:
      "Starts the learning rate near zero and raises it linearly to its full value over the first epochs, so the first, still-random steps do not throw the weights far off.",
    range: `${recommendedFor("schedule.warmupEpochs")} epochs`,
    related: ["schedule", "learning-rate"],
  },
  {
    id: "early-stopping",
    term: "Early stopping",
    aka: ["patience", "min delta"],
    definition:
      "Stops training when the validation number you watch (usually the validation loss) has not improved by at least min delta for patience epochs in a row, and keeps you from training on into overfitting.",
    range: `Watch: ${helpFor("earlyStopping.metric")} Patience: 3 – 10 epochs; min delta 0 unless the curve is noisy.`,
    related: ["validation", "overfitting", "epoch"],
  },
  {
    id: "label-smoothing",
    term: "Label smoothing",
    definition:
      "Instead of asking the model to be 100% sure of the right class, asks it to be, say, 90% sure and spreads the rest over the other classes. It discourages over-confidence and can help on noisy labels.",
    range: recommendedFor("labelSmoothing"),
    related: ["loss", "softmax"],
  },
  {
    id: "validation",
    term: "Validation",
    aka: ["validation split", "validation set", "val_loss", "val_accuracy"],
    definition:
      "A share of the training images held back from training and used to check the model after every epoch. Because the model never learns from them, they show whether it works on images it has not seen — the early sign of overfitting.",
    range: recommendedFor("validationSplit"),
    related: ["test-set", "overfitting", "early-stopping"],
  },
  {
    id: "test-set",
    term: "Test set",
    definition:
      "Images kept apart from training and validation and used once, at the end, to report the final accuracy and the confusion matrix. It is the fairest estimate of how the model will do on new images.",
    related: ["validation", "accuracy", "confusion-matrix"],
  },
  {
    id: "loss",
    term: "Loss",
    aka: ["cross-entropy", "cost"],
    definition:
      "One number saying how wrong the model's predictions are; training is the search for weights that make it small. LayerLab uses cross-entropy: the loss is low when the model gives the right class a high probability. With 10 classes, guessing gives about 2.3.",
    related: ["accuracy", "gradient", "softmax"],
  },
  {
    id: "accuracy",
    term: "Accuracy",
    definition:
      "The share of images whose most probable class is the right one. Easy to read, but it hides which classes get confused — the confusion matrix and per-class table show that.",
    related: ["loss", "confusion-matrix", "per-class-metrics"],
  },
  {
    id: "overfitting",
    term: "Overfitting",
    definition:
      "The model learns the training images by heart, details and noise included, instead of the general pattern: training accuracy keeps rising while validation accuracy stalls or falls. Fight it with more data, augmentation, dropout, weight decay or early stopping.",
    related: ["underfitting", "validation", "dropout", "augmentation", "weight-decay", "early-stopping"],
  },
  {
    id: "underfitting",
    term: "Underfitting",
    definition:
      "The model does badly even on the training images: it is too small, trained too briefly, or the learning rate is off. Training and validation accuracy are both low.",
    related: ["overfitting", "learning-rate", "parameters"],
  },
  {
    id: "divergence",
    term: "Divergence",
    aka: ["diverged", "NaN", "exploding"],
    definition:
      "Training broke down: the loss shot up or became NaN (not a number), usually because the learning rate is too high. The studio stops such a run and the training doctor suggests a fix.",
    related: ["learning-rate", "gradient-flow"],
  },
  {
    id: "augmentation",
    term: "Data augmentation",
    aka: ["augmentation", "shift", "rotation", "zoom", "flip", "cutout"],
    definition:
      "Random small changes to every training batch — shifts, rotations, zooms, mirror flips, erased squares — so the model sees more varied images and overfits less. Test images are never augmented.",
    range: [
      `shift ${recommendedFor("augmentation.shift")}`,
      `rotation ${recommendedFor("augmentation.rotation")}`,
      `zoom ${recommendedFor("augmentation.zoom")}`,
      `cutout ${recommendedFor("augmentation.cutout")}`,
      `horizontal flip: ${helpFor("augmentation.horizontalFlip")}`,
    ].join("; "),
    related: ["overfitting", "normalisation"],
  },
  {
    id: "normalisation",
    term: "Normalisation",
    aka: ["normalization", "standardisation", "mean", "std"],
    definition:
      "Rescales pixel values so each input has mean about 0 and spread about 1. Networks train faster and more reliably on such inputs. Per-channel uses each colour channel's own mean and standard deviation, measured on the training images.",
    range: "per-channel (the default)",
    related: ["batch-norm", "augmentation"],
  },
  {
    id: "seed",
    term: "Seed",
    aka: ["random seed"],
    definition:
      "The starting number of the random generator. The same seed gives the same starting weights, shuffling, dropout and augmentation, so a run can be repeated exactly; change it to see how much results vary by chance.",
    related: ["parameters", "sweep"],
  },
  {
    id: "sweep",
    term: "Sweep",
    aka: ["hyperparameter sweep", "grid search", "controlled experiment"],
    definition:
      "Several runs of one model that differ only in the one or two settings you name (say learning rate 1e-4, 1e-3, 1e-2 × optimizer SGD, Adam): every combination is trained once. All runs keep the same seed, so they start from the same weights and see the same validation split and data order; a difference in their results comes from the named settings, not from luck. The sweep shows the final score against each setting, the curves overlaid, and which setting mattered most.",
    range: "2 – 4 values per setting; learning rates a factor of 3 – 10 apart",
    related: ["learning-rate", "optimizer", "seed", "k-fold"],
  },
  {
    id: "k-fold",
    term: "k-fold cross-validation",
    aka: ["cross-validation", "crossValidation", "folds", "cross-validation fold"],
    definition:
      "A fairer estimate than one validation split: the training data is cut into k equal parts (each with the same mix of classes), and k runs are trained, each validating on a different part and training on the rest. The result is the mean of their final validation accuracies ± their standard deviation, which also tells how much the number depends on which images were held out. The training option Cross-validation fold is one of those k runs.",
    range: "k = 5 is usual (3 for slow models, 10 for small datasets)",
    related: ["validation", "sweep", "seed"],
  },
  {
    id: "gradient",
    term: "Gradient",
    definition:
      "For each weight, how much the loss would change if that weight grew a little. The optimizer moves each weight against its gradient to lower the loss. Backpropagation computes all gradients at once, from the last layer back to the first.",
    related: ["gradient-flow", "optimizer", "loss"],
  },
  {
    id: "gradient-flow",
    term: "Gradient flow",
    aka: ["vanishing gradients", "exploding gradients"],
    definition:
      "How large the gradients are in each layer. If they shrink to almost nothing towards the first layers (vanishing), those layers stop learning; if they grow huge (exploding), training diverges. The dashboard's gradient-flow chart shows one bar per layer.",
    related: ["gradient", "batch-norm", "relu", "divergence"],
  },
  // Layers and the model
  {
    id: "layer",
    term: "Layer",
    definition:
      "One stage of the network. Each layer takes a tensor of numbers, transforms it, and passes the result on; the builder shows each layer's output shape, parameters and FLOPs.",
    related: ["dense", "conv2d", "shape", "parameters"],
  },
  {
    id: "shape",
    term: "Shape",
    aka: ["tensor", "[C,H,W]", "channels"],
    definition:
      "The size of the data flowing between layers, written [channels, height, width] for images — [1,28,28] for an MNIST digit — and [features] after flattening. Each layer's output shape must fit the next layer's input.",
    related: ["flatten", "layer"],
  },
  {
    id: "dense",
    term: "Dense layer",
    aka: ["fully connected", "linear", "units"],
    definition:
      "Every output (unit) is a weighted sum of every input, plus a bias. Units is how many outputs it has; the last dense layer has one unit per class.",
    range: "Hidden layers: 64 – 512 units; the output layer: one unit per class.",
    related: ["parameters", "activation", "flatten"],
  },
  {
    id: "conv2d",
    term: "Convolution (conv2d)",
    aka: ["convolutional layer", "conv"],
    definition:
      "Slides small learned filters over the image and records how strongly each patch matches each filter. Because the same filter is used everywhere, it finds a pattern wherever it appears, with far fewer weights than a dense layer.",
    related: ["kernel", "filters", "stride", "padding", "pooling"],
  },
  {
    id: "filters",
    term: "Filters",
    aka: ["channels", "feature maps", "out channels"],
    definition:
      "How many different patterns a convolution looks for; each filter produces one output channel (feature map). Networks usually start with few filters and double them after each pooling step.",
    range: "16 – 128, often doubling per block (32 → 64 → 128).",
    related: ["conv2d", "feature-map"],
  },
  {
    id: "kernel",
    term: "Kernel size",
    aka: ["kernel", "filter size", "receptive field"],
    definition:
      "The width and height of the patch a convolution looks at in one go. Small kernels stacked in several layers see as far as one big kernel, with fewer weights.",
    range: "3 (most common) or 5.",
    related: ["conv2d", "stride", "padding"],
  },
  {
    id: "stride",
    term: "Stride",
    definition:
      "How many pixels the window moves between positions. Stride 1 looks at every position; stride 2 skips every other one and halves the output's height and width.",
    range: "1 for convolutions; for pooling, the same as the pool size (the default).",
    related: ["kernel", "pooling", "padding"],
  },
  {
    id: "padding",
    term: "Padding",
    aka: ["same", "valid"],
    definition:
      "What happens at the image border. 'valid' only uses windows that fit inside, so each convolution shrinks the image a little; 'same' adds a border of zeros so the output keeps the input's height and width.",
    range: "'same' keeps shapes easy to follow; 'valid' is fine for small kernels.",
    related: ["conv2d", "kernel", "stride"],
  },
  {
    id: "pooling",
    term: "Pooling",
    aka: ["max pooling", "average pooling", "maxPool2d", "avgPool2d", "global average pooling", "globalAvgPool"],
    definition:
      "Shrinks each feature map by summarising small windows: max pooling keeps the strongest response, average pooling the mean. Global average pooling averages each whole channel to one number. Pooling makes the model cheaper and a little tolerant of small shifts.",
    range: "Size 2 (halves height and width).",
    related: ["conv2d", "stride", "flatten"],
  },
  {
    id: "flatten",
    term: "Flatten",
    definition:
      "Unrolls an image-shaped tensor [C,H,W] into one long list of C·H·W numbers so a dense layer can use it. It has no weights.",
    related: ["shape", "dense"],
  },
  {
    id: "skip-connection",
    term: "Skip connection",
    aka: ["residual connection", "shortcut", "branch", "graph", "merge"],
    definition:
      "An edge that carries a layer's output past the next few layers to a later one, where an add or concat joins it with what those layers made. Gradients flow back along the shortcut undisturbed, so deep networks (ResNets) train where a plain stack stalls. In the builder, drag from a layer's output dot onto a later layer, or use its Connect… button.",
    related: ["add", "concat", "gradient-flow", "shape"],
  },
  {
    id: "add",
    term: "Add (merge)",
    aka: ["residual add", "sum", "elementwise add"],
    definition:
      "Sums two or more tensors element by element, so every input must have the same shape. When a shortcut's channels or size differ from the main path's, a 1×1 convolution (a dense layer for vectors) projects it to the right shape first, as ResNet does; the builder offers that fix in one click. It has no weights.",
    related: ["skip-connection", "concat", "conv2d"],
  },
  {
    id: "concat",
    term: "Concat (merge)",
    aka: ["concatenate", "join", "inception"],
    definition:
      "Joins two or more tensors side by side: images along their channels (their heights and widths must agree), vectors along their features. The result has as many channels or features as its inputs together, so branches that look at the same input in different ways (Inception, DenseNet) can be combined. It has no weights.",
    related: ["skip-connection", "add", "shape"],
  },
  {
    id: "dropout",
    term: "Dropout",
    aka: ["rate"],
    definition:
      "While training, switches off a random share (the rate) of its inputs at every step, so the network cannot rely on any single unit. It is off when testing. A common fix for overfitting.",
    range: "0.1 – 0.5; lower after convolutions, higher before the last dense layer.",
    related: ["overfitting", "weight-decay"],
  },
  {
    id: "batch-norm",
    term: "Batch normalisation",
    aka: ["batch norm", "batchNorm", "BN"],
    definition:
      "Rescales each channel to mean 0 and spread 1 over the current batch, then lets the network learn its own scale and shift. It steadies training and allows higher learning rates. Momentum sets how fast its running averages (used when testing) follow the batches; epsilon avoids dividing by zero.",
    range: "Momentum 0.1 and epsilon 1e-5 (the defaults, as in PyTorch).",
    related: ["normalisation", "gradient-flow"],
  },
  {
    id: "bias",
    term: "Bias",
    definition:
      "A learned number added to each output of a dense or convolution layer, so it can shift its result up or down. It can be turned off when a batch normalisation layer follows, which adds its own shift.",
    related: ["parameters", "dense", "batch-norm"],
  },
  {
    id: "activation",
    term: "Activation function",
    aka: ["activation", "non-linearity", "tanh", "sigmoid", "gelu", "elu", "leaky relu", "alpha"],
    definition:
      "A simple function applied to every number a layer outputs. Without it, a stack of layers would be no more powerful than a single one. ReLU is the usual choice; leaky ReLU and ELU take an alpha that sets their slope or curve below zero.",
    range: `relu for hidden layers; alpha ${Object.entries(ACTIVATION_DEFAULT_ALPHA)
      .map(([fn, alpha]) => `${alpha} for ${fn}`)
      .join(", ")} by default.`,
    related: ["relu", "softmax", "gradient-flow"],
  },
  {
    id: "relu",
    term: "ReLU",
    aka: ["rectified linear unit", "dead units"],
    definition:
      "Keeps positive numbers and turns negative ones into zero. Fast, and gradients pass through it unchanged where it is active. A unit that outputs zero for every image is 'dead' and learns nothing; a lower learning rate or leaky ReLU helps.",
    related: ["activation", "gradient-flow"],
  },
  {
    id: "softmax",
    term: "Softmax",
    aka: ["probabilities", "logits"],
    definition:
      "Turns the last layer's raw scores (logits) into probabilities that are all positive and add up to 1. The drawing page's bars are these probabilities. LayerLab applies it as part of the loss, so the model's last layer needs no activation.",
    related: ["loss", "dense"],
  },
  {
    id: "parameters",
    term: "Parameters",
    aka: ["weights", "params"],
    definition:
      "The numbers the model learns: the weights and biases of its layers. More parameters can capture more, but need more data and time and overfit more easily. The builder counts them per layer and in total.",
    related: ["flops", "bias", "overfitting"],
  },
  {
    id: "flops",
    term: "FLOPs",
    aka: ["floating-point operations", "compute"],
    definition:
      "The number of multiplications and additions the model does to classify one image — a measure of how slow it is, not of how many weights it has. Convolutions often have few parameters but many FLOPs.",
    related: ["parameters", "conv2d"],
  },
  {
    id: "feature-map",
    term: "Feature map",
    aka: ["activation map"],
    definition:
      "The output of one filter of a convolution: an image showing where that filter's pattern was found. The Inside panel shows them for a drawn image.",
    related: ["filters", "conv2d"],
  },
  // Results
  {
    id: "confusion-matrix",
    term: "Confusion matrix",
    definition:
      "A table with one row per true class and one column per predicted class; each cell counts the test images with that pair. The diagonal holds the right answers, everything else shows which classes the model mixes up.",
    related: ["accuracy", "per-class-metrics", "test-set"],
  },
  {
    id: "per-class-metrics",
    term: "Precision and recall",
    aka: ["per-class metrics", "precision", "recall", "support"],
    definition:
      "Per class: precision is the share of images predicted as that class that really are; recall is the share of that class's images that were found. Support is how many test images the class has.",
    related: ["confusion-matrix", "accuracy"],
  },
];

const BY_ID = new Map(GLOSSARY.map((e) => [e.id, e]));

/** The entry with this id, or undefined. */
export function glossaryEntry(id: string): GlossaryEntry | undefined {
  return BY_ID.get(id);
}

/** The studio address of an entry. */
export function glossaryHref(id: string): string {
  return `#/glossary/${id}`;
}

/** The element id of an entry on the glossary page. */
export function glossaryElementId(id: string): string {
  return `glossary-${id}`;
}

/** The entry id a `#/glossary/<id>` address names, or null. */
export function glossaryIdOf(hash: string): string | null {
  const m = /^#\/?glossary\/([^?/]+)/.exec(hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

/** The entries whose term, other names, definition or range hold every word of `query` (all of them for ""). */
export function searchGlossary(query: string, entries: readonly GlossaryEntry[] = GLOSSARY): GlossaryEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...entries];
  return entries.filter((e) => {
    const text = [e.term, ...(e.aka ?? []), e.definition, e.range ?? ""].join(" ").toLowerCase();
    return words.every((w) => text.includes(w));
  });
}
