import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { Webhook } from "../config/schema";
import { emptyRunCounts } from "../domain/run";
import { type Run, silentLogger } from "../ports";
import { type Loopback, MemorySyncStore, startLoopback } from "../testing";
import { eventOf, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER, WebhookNotifier } from "./notify";

const SECRET = "webhook-secret-0123456789";
const NOW = new Date("2026-11-22T06:00:00.000Z");

const aRun = (overrides: Partial<Run> = {}): Run => ({
  id: "42",
  status: "failed",
  dryRun: false,
  trigger: "schedule",
  scoped: false,
  startedAt: "2026-11-22T05:59:00.000Z",
  finishedAt: "2026-11-22T06:00:00.000Z",
  error: { code: "coder_unavailable", message: "Coder did not answer" },
  counts: { ...emptyRunCounts(), users: 300 },
  sourceCount: null,
  ...overrides,
});

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A webhook receiver answering each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = await startLoopback((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = statuses.shift() ?? 200;
      res.end("ok");
    });
  });
  cleanup.push(server);
  return { server, received };
}

const cleanup: Loopback[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((s) => s.close()));
});

function notifier(hooks: unknown[], store = new MemorySyncStore()) {
  const notifier = new WebhookNotifier(
    hooks.map((h) => Webhook.parse(h)),
    {
      store,
      log: silentLogger,
      publicUrl: "https://coder-dx.example.com/",
      clock: { now: () => NOW },
      retryBaseMs: 1,
    },
  );
  return { notifier, store };
}

describe("run notifications", () => {
  it("posts the run signed with HMAC-SHA256 over the body, with a timestamp the body repeats", async () => {
    const { server, received } = await receiver();
    const { notifier: n, store } = notifier([{ url: `${server.url}/hook`, secret: SECRET }]);
    await n.notify(aRun());
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [Received];
    expect(headers[SIGNATURE_HEADER]).toBe(signBody(SECRET, body));
    expect(headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
    const sent = JSON.parse(body);
    expect(sent).toMatchObject({
      event: "failed",
      timestamp: NOW.getTime() / 1000,
      run: { id: "42", status: "failed", error: { code: "coder_unavailable" } },
      link: "https://coder-dx.example.com/v1/runs/42",
    });
    expect(headers[TIMESTAMP_HEADER]).toBe(String(sent.timestamp));
    expect(store.listDeliveries("42")).toMatchObject([
      { target: server.url, event: "failed", outcome: "delivered", attempts: 1, httpStatus: 200 },
    ]);
  });

  it("sends only the events a hook asked for, and nothing for a dry run", async () => {
    const { server, received } = await receiver();
    const { notifier: n } = notifier([
      { url: `${server.url}/a`, events: ["succeeded"] },
      { url: `${server.url}/b` },
    ]);
    await n.notify(aRun({ status: "succeeded", error: null }));
    await n.notify(aRun({ status: "halted", dryRun: true }));
    await n.notify(aRun({ status: "interrupted" }));
    expect(received.map((r) => JSON.parse(r.body).event)).toEqual(["succeeded", "failed"]);
    expect(eventOf(aRun({ status: "partial" }))).toBe("partial");
  });

  it("formats a Slack message with the figures and a link", async () => {
    const { server, received } = await receiver();
    const { notifier: n } = notifier([{ url: `${server.url}/services/T0/B0/x`, format: "slack" }]);
    await n.notify(
      aRun({
        status: "partial",
        error: null,
        counts: { ...emptyRunCounts(), users: 9, applied: 7, rejected: 2 },
      }),
    );
    const sent = JSON.parse((received[0] as Received).body);
    expect(Object.keys(sent)).toEqual(["text"]);
    expect(sent.text).toContain("coder-dx run 42 partial");
    expect(sent.text).toContain("applied 7, rejected 2");
    expect(sent.text).toContain("<https://coder-dx.example.com/v1/runs/42|run 42>");
  });

  it("retries a 5xx with backoff, gives up on a 4xx at once, and records both", async () => {
    const flaky = await receiver([503, 502]);
    const refusing = await receiver([403]);
    const { notifier: n, store } = notifier([
      { url: `${flaky.server.url}/x`, maxAttempts: 4 },
      { url: `${refusing.server.url}/y`, maxAttempts: 4 },
    ]);
    await n.notify(aRun());
    expect(flaky.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    const deliveries = store.listDeliveries("42");
    expect(deliveries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: flaky.server.url, outcome: "delivered", attempts: 3 }),
        expect.objectContaining({
          target: refusing.server.url,
          outcome: "failed",
          attempts: 1,
          httpStatus: 403,
          error: { code: "notify_failed", message: `${refusing.server.url} answered HTTP 403` },
        }),
      ]),
    );
  });

  it("never throws: an unreachable hook is a failed delivery, recorded without its path", async () => {
    const { server } = await receiver();
    const url = `${server.url}/secret-path-token`;
    await server.close();
    const { notifier: n, store } = notifier([{ url, maxAttempts: 2 }]);
    await expect(n.notify(aRun())).resolves.toBeUndefined();
    const [delivery] = store.listDeliveries("42");
    expect(delivery).toMatchObject({ outcome: "failed", attempts: 2, httpStatus: null });
    expect(JSON.stringify(delivery)).not.toContain("secret-path-token");
  });

  it("refuses a webhook with a short secret or a non-HTTP URL", () => {
    expect(
      Webhook.safeParse({ url: "https://x.example.com", secret: "short" }).error?.issues[0]
        ?.message,
    ).toBe("must be at least 16 characters");
    expect(Webhook.safeParse({ url: "ftp://x.example.com" }).success).toBe(false);
  });
});
