import { connect } from "node:net";

/** What a raw HTTP exchange answered. */
export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `request` byte for byte over a TCP socket to `base`'s host and port and
 * reads the answer until the server ends it or its body is complete. Unlike
 * fetch, nothing normalises the target (dot segments, absolute form, case) or
 * fills in headers (Host, Origin), which is what these tests need.
 */
export function rawRequest(base: string, request: string, timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let bytes = Buffer.alloc(0);
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms to:\n${request}\ngot:\n${data}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (!match) return reject(new Error(`not an HTTP answer to:\n${request}\ngot:\n${JSON.stringify(data)}`));
      const cut = data.indexOf("\r\n\r\n");
      resolve({ status: Number(match[1]), head: data.slice(0, cut), body: data.slice(cut + 4) });
    };
    socket.on("data", (chunk) => {
      bytes = Buffer.concat([bytes, chunk]);
      data = bytes.toString("utf8");
      const cut = data.indexOf("\r\n\r\n");
      if (cut < 0) return;
      const length = /\r\ncontent-length: (\d+)/i.exec(data.slice(0, cut));
      const bodyBytes = bytes.length - Buffer.byteLength(data.slice(0, cut + 4));
      const switching = /^HTTP\/1\.1 101/.test(data);
      if (switching || (length && bodyBytes >= Number(length[1]))) {
        socket.destroy();
        finish();
      }
    });
    socket.on("end", finish);
    socket.on("error", (err) => {
      clearTimeout(timer);
      if (data) finish();
      else reject(err);
    });
    socket.write(request);
  });
}

/** A request as text: `lines` are the request line and headers; `body` follows with its Content-Length. */
export function httpText(lines: string[], body?: string): string {
  const withLength = body === undefined ? lines : [...lines, `Content-Length: ${Buffer.byteLength(body)}`];
  return `${withLength.join("\r\n")}\r\nConnection: close\r\n\r\n${body ?? ""}`;
}

/** The headers of a WebSocket upgrade request. */
export const WEBSOCKET_UPGRADE = [
  "Upgrade: websocket",
  "Connection: Upgrade",
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version: 13",
];
