import { afterAll, describe, it } from "vitest";
import { describeJournal, type JournalSubject } from "../testing/journal-suite";
import { freshPostgresStores } from "./fresh-database";

/** A Postgres server (`.ci/run` starts one); `pnpm test:unit` never runs this file. */
const postgres = process.env.CODER_DX_TEST_POSTGRES;
const stores = freshPostgresStores(postgres ?? "");
afterAll(() => stores.closeAll());

function postgresSubject(): JournalSubject {
  const store = stores.fresh();
  return {
    store,
    where: store.where,
    unreachable: { kind: "postgres", url: "postgres://nobody@127.0.0.1:1/none" },
  };
}

if (postgres) describeJournal("Postgres", postgresSubject);
else
  describe.skip("the journal on Postgres (no CODER_DX_TEST_POSTGRES)", () => it("runs", () => {}));
