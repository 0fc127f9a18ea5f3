import { randomUUID } from "node:crypto";
import { describeSyncStoreContract } from "@coder-dx/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { PgConnection } from "./postgres/pg-connection";
import { PostgresSyncStore } from "./postgres/postgres-sync-store";

/** A server to test against: `.ci/run` starts one and sets this; locally, these tests skip. */
const url = process.env.CODER_DX_TEST_POSTGRES;
if (!url)
  console.warn(
    "Postgres store tests skipped: set CODER_DX_TEST_POSTGRES=postgres://user@host:port/db (.ci/run starts a server)",
  );

const opened: PostgresSyncStore[] = [];
let admin: PgConnection | null = null;

/** A store on a database of its own, created for the test. */
function freshStore(): PostgresSyncStore {
  admin ??= new PgConnection(url as string);
  const name = `coder_dx_test_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(url as string);
  target.pathname = `/${name}`;
  const store = new PostgresSyncStore(target.toString());
  opened.push(store);
  return store;
}

afterAll(() => {
  for (const store of opened.splice(0)) store.close();
  admin?.close();
});

if (url) {
  describeSyncStoreContract("postgres", freshStore);

  describe("the Postgres store", () => {
    it("names the server without its password when it cannot connect", () => {
      const bad = new URL(url);
      bad.port = "1";
      bad.password = "s3cret-password";
      let message = "";
      try {
        new PostgresSyncStore(bad.toString());
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^database postgres(ql)?:\/\/.*127\.0\.0\.1:1\//);
      expect(message).not.toContain("s3cret-password");
    });
  });
} else {
  describe.skip("the Postgres store (no CODER_DX_TEST_POSTGRES)", () => {
    it("passes the store contract", () => {});
  });
}
