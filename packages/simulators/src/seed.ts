import type { CoderSimulator, SimCoderUser } from "./coder-simulator";
import type { DxSimulator } from "./dx-simulator";

/** mulberry32: a tiny seeded PRNG, so every demo and test organisation is the same. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  "Ada",
  "Alan",
  "Barbara",
  "Brian",
  "Carol",
  "Dennis",
  "Edsger",
  "Frances",
  "Grace",
  "Hedy",
  "Ivan",
  "Jean",
  "Ken",
  "Linus",
  "Margaret",
  "Niklaus",
  "Ola",
  "Radia",
  "Sophie",
  "Tim",
  "Whitfield",
  "Yukihiro",
  "Zoë",
  "José",
  "Søren",
];
const LAST = [
  "Lovelace",
  "Turing",
  "Liskov",
  "Kernighan",
  "Shaw",
  "Ritchie",
  "Dijkstra",
  "Allen",
  "Hopper",
  "Lamarr",
  "Sutherland",
  "Sammet",
  "Thompson",
  "Torvalds",
  "Hamilton",
  "Wirth",
  "Dahl",
  "Perlman",
  "Wilson",
  "Berners-Lee",
  "Diffie",
  "Matsumoto",
  "O'Neil",
  "García",
  "Kierkegaard",
];
const DEPARTMENTS = ["Platform", "Payments", "Mobile", "Data", "Security"];

export interface SeededOrganisation {
  people: SimCoderUser[];
  serviceAccount: SimCoderUser;
  /** Two Coder accounts that resolve to one DX email. */
  mergedPair: [SimCoderUser, SimCoderUser];
  /** A Coder account whose email is pseudonymised: never sent. */
  invalid: SimCoderUser;
  /** DX users with no Coder account. */
  nonUsers: string[];
}

export interface SeedOptions {
  people?: number;
  seed?: number;
  /** Share of people DX leaves out of users.list (no role, property or team). */
  hiddenShare?: number;
  nonUsers?: number;
}

/**
 * A plausible organisation in both simulators: every Coder status, mixed-case emails,
 * usage across all levels, a service account, a merged pair, an unusable identity, DX
 * users hidden from users.list, a DX-owned `Department` group coder-dx must never touch,
 * and DX users who do not use Coder.
 */
export function seedOrganisation(
  coder: CoderSimulator,
  dx: DxSimulator,
  options: SeedOptions = {},
): SeededOrganisation {
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const count = options.people ?? 300;
  const hiddenShare = options.hiddenShare ?? 0.05;
  const people: SimCoderUser[] = [];

  for (let i = 0; i < count; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const username =
      `${first}.${last}`
        .toLowerCase()
        .normalize("NFD")
        .replace(/[^a-z.]/g, "") + i;
    const local = `${first}.${last}${i}`.normalize("NFD").replace(/[^A-Za-z0-9.]/g, "");
    const mixedCase = random() < 0.15;
    const email = mixedCase ? `${local}@Example.COM` : `${local.toLowerCase()}@example.com`;
    const roll = random();
    const status = roll < 0.8 ? "active" : roll < 0.92 ? "dormant" : "suspended";
    const level = random();
    const hours =
      status !== "active"
        ? 0
        : level < 0.25
          ? 40 + random() * 80
          : level < 0.55
            ? 10 + random() * 29
            : level < 0.8
              ? 0.5 + random() * 9
              : 0;
    const loginRoll = random();
    const user = coder.addUser({
      username,
      name: `${first} ${last}`,
      email: random() < 0.05 ? ` ${email} ` : email,
      status,
      login_type: loginRoll < 0.6 ? "oidc" : loginRoll < 0.9 ? "github" : "password",
      usageSeconds: Math.round(hours * 60) * 60,
      last_seen_at: hours > 0 ? "2026-11-20T12:00:00.000001Z" : "0001-01-01T00:00:00Z",
    });
    people.push(user);
    dx.addUser({
      email: email.trim().toLowerCase(),
      name: `${first} ${last}`,
      attributes: { Department: pick(DEPARTMENTS) },
      hidden: random() < hiddenShare,
    });
  }

  const serviceAccount = coder.addUser({
    username: "ci-runner",
    email: "",
    status: "active",
    login_type: "none",
    is_service_account: true,
  });
  const main = people[0] as SimCoderUser;
  const second = coder.addUser({
    username: `${main.username}-admin`,
    name: main.name,
    email: main.email.trim().toUpperCase(),
    status: "suspended",
    login_type: "password",
    usageSeconds: 3 * 3600,
  });
  const invalid = coder.addUser({
    username: "pseudonym",
    email: "5f4dcc3b5aa765d61d8327deb882cf99@example.com",
    status: "active",
  });

  const nonUsers: string[] = [];
  for (let i = 0; i < (options.nonUsers ?? 20); i++) {
    const email = `non.user${i}@example.com`;
    dx.addUser({ email, attributes: { Department: pick(DEPARTMENTS) } });
    nonUsers.push(email);
  }
  return { people, serviceAccount, mergedPair: [main, second], invalid, nonUsers };
}
