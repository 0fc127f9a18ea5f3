import {
  activeDaysAndWeeks,
  parseConfig,
  usageFrequency,
  usageLevel,
  usageWindow,
} from "@coder-dx/core";
import { activityByDay } from "@coder-dx/simulators";
import type { Org } from "./harness";

/** Gives every DX user the status, level and frequency coder-dx would compute. */
export function primeDx(org: Org): void {
  const { groups } = parseConfig({ groups: { frequency: {} } }, "bench");
  const frequency = groups.frequency;
  if (!frequency) throw new Error("no frequency group");
  const now = new Date();
  const window = usageWindow(now, 28);
  for (const user of org.coder.users.values()) {
    const perDay = new Array<number>(28).fill(0);
    for (const [day, seconds] of activityByDay(user, now)) {
      const index = Math.round(
        (Date.parse(`${day}T00:00:00Z`) - window.start.getTime()) / 86_400_000,
      );
      if (index >= 0 && index < 28) perDay[index] = seconds;
    }
    const dxUser = org.dx.users.get(user.email.toLowerCase());
    if (!dxUser) continue;
    const hours = Math.floor(user.usageSeconds / 60) / 60;
    org.dx.setAttribute(dxUser, groups.status.name, groups.status.values[user.status]);
    org.dx.setAttribute(
      dxUser,
      groups.usage.name,
      usageLevel({ hours, activeDays: null }, groups.usage),
    );
    org.dx.setAttribute(
      dxUser,
      frequency.name,
      usageFrequency(activeDaysAndWeeks(perDay), frequency),
    );
  }
}
