import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

const parsed = new WeakMap<object, Promise<unknown>>();

/**
 * A request's JSON body, read once from Node's own stream when the app runs on Node (the web
 * `Request` behind `c.req.json()` costs more than the rest of a simulated write together), and
 * through Hono otherwise. Resolves to null for a body that is not JSON. Call it as the request
 * arrives: Node drops what a request stream holds once its client goes away.
 */
export function jsonBody(c: Context): Promise<unknown> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const key: object = incoming ?? c.req.raw;
  let body = parsed.get(key);
  if (!body) {
    body = incoming
      ? new Promise<unknown>((resolve) => {
          const chunks: Buffer[] = [];
          const parse = () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch {
              resolve(null);
            }
          };
          incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
          incoming.on("end", parse);
          // A client that went away after sending its whole request (a killed process): the
          // request still counts, as it would at a real server that had read it.
          incoming.on("close", () => (incoming.complete ? parse() : resolve(null)));
          incoming.on("error", () => resolve(null));
        })
      : c.req.json().catch(() => null);
    parsed.set(key, body);
  }
  return body;
}
