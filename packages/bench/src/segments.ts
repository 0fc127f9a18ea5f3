import { DEFAULT_TEMPLATE_ID } from "@coder-dx/simulators";
import { measureSync, startOrg } from "./harness";
import { primeDx } from "./prime";
import { type Result, result } from "./result";

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
const GROUP = "Coder template";

/**
 * A no-change sync of `size` people with a `template` group over `templates` templates: each
 * person works in two (70% and 30% of their hours), and DX already holds everyone's values.
 * The figures: the process's wall and peak memory, and the Coder requests it took (1 + the
 * templates more than without the group).
 */
export async function benchSegments(size = 100_000, templates = 50): Promise<Result[]> {
  log(`segments: seeding ${size.toLocaleString()} people over ${templates} templates`);
  const org = await startOrg(size, 10);
  try {
    const ids = [
      DEFAULT_TEMPLATE_ID,
      ...Array.from(
        { length: templates - 1 },
        (_, i) =>
          org.coder.addTemplate({
            name: `template-${String(i + 1).padStart(2, "0")}`,
            display_name: `Template ${i + 1}`,
          }).id,
      ),
    ];
    const valueOf = (id: string) => {
      const t = org.coder.templates.get(id);
      return t?.display_name || (t?.name as string);
    };
    const people = [...org.coder.users.values()].filter((u) => u.username.startsWith("person"));
    people.forEach((user, i) => {
      const main = ids[i % templates] as string;
      const side = ids[(i + 1) % templates] as string;
      org.coder.updateUser(user.id, { templateShares: { [main]: 0.7, [side]: 0.3 } });
    });
    org.coder.prime();
    primeDx(org);
    people.forEach((user, i) => {
      const dxUser = org.dx.users.get(user.email.toLowerCase());
      if (dxUser)
        org.dx.setAttribute(
          dxUser,
          GROUP,
          user.usageSeconds > 0 ? valueOf(ids[i % templates] as string) : "None",
        );
    });
    const config = {
      groups: { extra: [{ name: GROUP, from: "template" }] },
      safety: { allowNewGroups: true },
    };
    log("segments: the first sync (adopts what DX holds)");
    const first = await measureSync(org, {
      ...config,
      dx: { requestsPerMinute: 60_000, concurrency: 32 },
    });
    if (first.dxWrites !== 0)
      throw new Error(
        `the first sync wrote ${first.dxWrites}: DX was not primed as coder-dx computes`,
      );
    const dx = { requestsPerMinute: 60_000, concurrency: 32 };
    log("segments: a no-change sync without the group (the Coder requests it takes)");
    const plainFrom = org.coder.requests.length;
    await measureSync(org, { dx });
    const plain = org.coder.requests.length - plainFrom;
    log("segments: the no-change sync");
    const before = org.coder.requests.length;
    // DX's read-back at the no-change figure's budget (as scenarios.ts): Coder's is the default.
    const same = await measureSync(org, {
      ...config,
      dx: { requestsPerMinute: 60_000, concurrency: 32 },
    });
    const coderRequests = org.coder.requests.length - before;
    const insights = org.coder.requests
      .slice(before)
      .filter((r) => r === "GET /api/v2/insights/user-activity").length;
    const scenario = `no-change sync, ${size.toLocaleString()} people, a template group over ${templates} templates (default Coder budget)`;
    log(
      `segments: ${same.processSeconds.toFixed(1)} s, ${same.peakRssMb.toFixed(0)} MB, ${coderRequests} Coder requests`,
    );
    return [
      result(scenario, "DX writes", same.dxWrites, "writes", 0, 1),
      result(scenario, "process wall", same.processSeconds, "s", 15, 1, {
        runSeconds: same.runSeconds,
      }),
      result(scenario, "peak RSS", same.peakRssMb, "MB", 450, 1),
      result(
        scenario,
        "Coder requests beyond a sync without the group",
        coderRequests - plain,
        "requests",
        templates + 1,
        1,
        { coderRequests, withoutTheGroup: plain, insightsReads: insights },
      ),
    ];
  } finally {
    await org.close();
  }
}
