// Worker threads start without a TypeScript loader: load the entry from its cached bundle (@layerlab/launch).
import { importTypeScript } from "@layerlab/launch";

await importTypeScript(new URL("./evaluate-worker.ts", import.meta.url));
