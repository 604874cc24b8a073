// Worker threads start without the TypeScript loader the server runs under; register tsx, then load the renderer.
import { register } from "tsx/esm/api";

register();
await import("./report-worker.ts");
