/** One stop of the first-run tour: the page it shows, what it says, and the control it points at. */
export interface TourStep {
  /** The page (hash route) the step's control lives on. */
  route: "build" | "train";
  title: string;
  body: string;
  /**
   * CSS selectors of the control, widest first: the card points at the first one on the page it
   * fits beside, else at the last one found.
   */
  targets: string[];
}

/** The first path through the studio: build, choose the data, start, watch, test; then where the words are explained. */
export const TOUR_STEPS: readonly TourStep[] = [
  {
    route: "build",
    title: "Build a model",
    body: "Start from a template here, or add layers one by one from the Layers chips. Shapes, parameter counts and FLOPs update as you type; each field's “?” explains it.",
    targets: [".palette", ".templates"],
  },
  {
    route: "train",
    title: "Choose the data",
    body: "Pick the images to learn from: generated shapes, or MNIST and others when a server runs. The output layer follows the number of classes by itself.",
    targets: [".data-panel fieldset", "#data-h"],
  },
  {
    route: "train",
    title: "Start training",
    body: "The defaults make a good first run. Each option's “?” says what it does and the values people usually pick.",
    targets: ["[data-testid=start]"],
  },
  {
    route: "train",
    title: "Watch it learn",
    body: "After Start, the live dashboard opens below the forms: loss and accuracy as they change, the gradient flow, and the training doctor's advice when a run goes wrong.",
    targets: ["#dash-h", "[data-testid=start]"],
  },
  {
    route: "train",
    title: "Test this model",
    body: "When a run is done, “Test this model” (or “Test by drawing” in the menu) lets you draw a digit and see what the model predicts.",
    targets: ["[data-testid=test-this-model]", 'nav a[href="#/draw"]'],
  },
  {
    route: "train",
    title: "Words, explained",
    body: "Not sure what an epoch or a stride is? The Glossary explains every term. Reopen this tour any time with the Tour button.",
    targets: ['nav a[href="#/glossary"]'],
  },
];
