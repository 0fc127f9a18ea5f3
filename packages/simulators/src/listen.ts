import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { Hono } from "hono";

export interface Listening {
  url: string;
  close(): Promise<void>;
  server: ServerType;
  /** TCP connections accepted so far. */
  connections(): number;
}

export interface ListenOptions {
  port?: number;
  /**
   * How long an idle keep-alive connection stays open, announced as `Keep-Alive: timeout=N`.
   * Node's default is 5 s; load balancers and real servers often send 1 s.
   */
  keepAliveTimeoutMs?: number;
}

/** Serves a Hono app on 127.0.0.1 (port 0: an ephemeral port unless one is asked for). */
export function listen(app: Hono, options: ListenOptions = {}): Promise<Listening> {
  return new Promise((resolve) => {
    let accepted = 0;
    const server = serve(
      { fetch: app.fetch, hostname: "127.0.0.1", port: options.port ?? 0 },
      (info: AddressInfo) => {
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          server,
          connections: () => accepted,
          close: () =>
            new Promise<void>((done) => {
              if ("closeAllConnections" in server) server.closeAllConnections();
              server.close(() => done());
            }),
        });
      },
    );
    server.on("connection", () => {
      accepted += 1;
    });
    if (options.keepAliveTimeoutMs !== undefined && "keepAliveTimeout" in server)
      server.keepAliveTimeout = options.keepAliveTimeoutMs;
  });
}
