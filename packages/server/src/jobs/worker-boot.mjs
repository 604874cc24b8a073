// Worker threads start without the TypeScript loader the server runs under; register tsx, then load the job.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
