import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { type AddressInfo, connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface Loopback {
  url: string;
  /** Every request: method, URL as sent (absolute for a proxy), and headers. */
  requests: { method: string; url: string; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A bare HTTP(S) server on 127.0.0.1 for tests that need something other than a simulator. */
export async function startLoopback(
  handler: Handler,
  options: { tls?: boolean; proxy?: boolean } = {},
): Promise<Loopback> {
  const requests: Loopback["requests"] = [];
  const wrapped: Handler = (req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handler(req, res);
  };
  const fixture = (name: string) =>
    readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)));
  const server: Server = options.tls
    ? createTlsServer(
        { cert: fixture("self-signed-cert.pem"), key: fixture("self-signed-key.pem") },
        wrapped,
      )
    : createServer(wrapped);
  const tunnels = new Set<Socket>();
  if (options.proxy) {
    // A forward proxy's tunnel (HTTP CONNECT), as corporate proxies offer it.
    server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      requests.push({ method: "CONNECT", url: req.url ?? "", headers: req.headers });
      const [host, port] = (req.url ?? "").split(":");
      tunnels.add(socket);
      const upstream = connect(Number(port), host ?? "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const socket of tunnels) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
