import { randomUUID } from "node:crypto";
import { PgConnection } from "./pg-connection";
import { PostgresSyncStore } from "./postgres-sync-store";

/**
 * For tests: a store on a database of its own, created on the server `url` names, and a way to
 * close every one made. Tests skip Postgres where no server is given (`.ci/run` starts one).
 */
export function freshPostgresStores(url: string) {
  const opened: PostgresSyncStore[] = [];
  let admin: PgConnection | null = null;
  const server = (): PgConnection => {
    admin ??= new PgConnection(url);
    return admin;
  };
  return {
    /** A connection to the server's own database, for what a test does around the store. */
    server,
    fresh(): PostgresSyncStore {
      const name = `coder_dx_test_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
      server().query(`CREATE DATABASE ${name}`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      const store = new PostgresSyncStore(target.toString());
      opened.push(store);
      return store;
    },
    closeAll(): void {
      for (const store of opened.splice(0)) store.close();
      admin?.close();
      admin = null;
    },
  };
}
