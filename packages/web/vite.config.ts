import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// COOP + COEP make the page cross-origin isolated: SharedArrayBuffer, and so
// jax-js's multithreaded Wasm. The server must send the same two headers.
const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

// In development the API lives on the LayerLab server; point LAYERLAB_API at it (e.g. http://127.0.0.1:8787).
const api = process.env.LAYERLAB_API;
const proxy = api ? { "/api": api } : undefined;

export default defineConfig({
  plugins: [react()],
  server: { headers: ISOLATION_HEADERS, proxy },
  preview: { headers: ISOLATION_HEADERS, proxy },
  worker: { format: "es" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false, chunkSizeWarningLimit: 2000 },
});
