import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A file the server hands out: its body and content type. */
export interface ServedFile {
  body: string | Uint8Array;
  contentType: string;
}

/** A running local server and how to stop it. */
export interface BenchServer {
  url: string;
  close(): Promise<void>;
}

// COOP + COEP make the page cross-origin isolated, which is what gives it
// SharedArrayBuffer and so jax-js its multithreaded Wasm worker pool.
const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

/** Serves `files` (path → content) on 127.0.0.1 at a free port, cross-origin isolated. */
export async function serveFiles(files: ReadonlyMap<string, ServedFile>): Promise<BenchServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { ...ISOLATION_HEADERS, "Content-Type": "text/plain" }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { ...ISOLATION_HEADERS, "Content-Type": file.contentType }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
