#!/usr/bin/env node
// Runs the TypeScript entry from a bundle rebuilt whenever a source file changes, so `npx layerlab` works in the repo without a build step.
import { importTypeScript } from "@layerlab/launch";

await importTypeScript(new URL("../src/main.ts", import.meta.url));
