import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";

/** `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` as the environment gives them (either case). */
export interface ProxySettings {
  httpProxy?: string | undefined;
  httpsProxy?: string | undefined;
  noProxy?: string | undefined;
}

export function proxyFromEnv(env: NodeJS.ProcessEnv): ProxySettings {
  return {
    httpProxy: env.HTTP_PROXY ?? env.http_proxy,
    httpsProxy: env.HTTPS_PROXY ?? env.https_proxy,
    noProxy: env.NO_PROXY ?? env.no_proxy,
  };
}

export interface DispatcherOptions {
  /** Sockets per origin: the client's concurrency, so no request queues for a connection. */
  connections: number;
  proxy?: ProxySettings | undefined;
}

/**
 * One connection pool per service, kept alive between requests.
 *
 * Servers and load balancers send short keep-alive hints (`Keep-Alive: timeout=1`); undici
 * subtracts `keepAliveTimeoutThreshold` from the hint, and with its default (1 s; Node's
 * built-in fetch uses more) a 1 s hint closes every socket after its answer: one TCP (and TLS)
 * connection per request. 250 ms keeps a socket usable for 750 ms of a 1 s hint, far longer
 * than the gap between two requests of a busy worker; a socket the server closed anyway
 * fails with a reset, which the HTTP client retries like any network error.
 *
 * Proxies come from `proxy` (the CLI passes the environment's HTTPS_PROXY/HTTP_PROXY/NO_PROXY);
 * with none set, this is a plain keep-alive agent. Private CAs: `NODE_EXTRA_CA_CERTS`.
 */
export function createDispatcher({ connections, proxy = {} }: DispatcherOptions): Dispatcher {
  const pool = {
    connections,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    keepAliveTimeoutThreshold: 250,
  };
  // No proxy set: a plain Agent, without a NO_PROXY match on every request.
  if (!proxy.httpProxy && !proxy.httpsProxy) return new Agent(pool);
  return new EnvHttpProxyAgent({
    // Empty strings, not undefined: the settings decide, never a stray process.env.
    httpProxy: proxy.httpProxy ?? "",
    httpsProxy: proxy.httpsProxy ?? "",
    noProxy: proxy.noProxy ?? "",
    ...pool,
  });
}
