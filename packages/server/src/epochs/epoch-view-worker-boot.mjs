// Worker threads start without the TypeScript loader the server runs under; register tsx, then load the computation.
import { register } from "tsx/esm/api";

register();
await import("./epoch-view-worker.ts");
