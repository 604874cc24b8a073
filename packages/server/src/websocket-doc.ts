import { WEBSOCKET_DESCRIPTION, WsClientMessage, WsServerMessage } from "@layerlab/api";
import { z } from "zod";

/** The OpenAPI path of a run's WebSocket. */
export const WEBSOCKET_DOC_PATH = "/api/runs/{id}/ws";

const asOpenApi = (schema: z.ZodType) => z.toJSONSchema(schema, { target: "openapi-3.0", unrepresentable: "any" });

/**
 * Adds the WebSocket of a run to the OpenAPI document: @fastify/websocket hides
 * upgrade routes from it, and OpenAPI has no words for a socket's messages, so
 * they are given as the schemas of what each side sends.
 */
export function withWebSocketPath<T extends { paths?: Record<string, unknown> }>(document: T): T {
  const operation = {
    summary: 'WebSocket of a run\'s events; send {"type":"abort"} to stop it',
    description: WEBSOCKET_DESCRIPTION,
    parameters: [
      { in: "path", name: "id", required: true, schema: { type: "string", maxLength: 64 } },
      { in: "query", name: "after", required: false, schema: { type: "string" }, description: "Replay after this seq" },
    ],
    responses: {
      101: {
        description:
          "Switching protocols: the server sends `x-server-messages`, the client may send `x-client-messages`",
      },
    },
    "x-server-messages": asOpenApi(WsServerMessage),
    "x-client-messages": asOpenApi(WsClientMessage),
  };
  return { ...document, paths: { ...document.paths, [WEBSOCKET_DOC_PATH]: { get: operation } } };
}
