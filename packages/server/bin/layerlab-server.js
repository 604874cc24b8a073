#!/usr/bin/env node
// The server alone, configured from the environment: its TypeScript entry from a bundle rebuilt whenever a source file changes.
import { importTypeScript } from "@layerlab/launch";

await importTypeScript(new URL("../src/main.ts", import.meta.url));
