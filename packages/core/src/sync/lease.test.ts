import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { MemorySyncStore } from "../testing/memory-store";
import { currentHolder, formatHolder, holderIsDead, LeaseKeeper, parseHolder } from "./lease";

const onLinux = (() => {
  try {
    readFileSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

describe("lease holders", () => {
  it("name this process with its start time, and it is alive", () => {
    const me = parseHolder(currentHolder());
    expect(me).toMatchObject({ host: hostname(), pid: process.pid });
    expect(holderIsDead(currentHolder())).toBe(false);
  });

  it.runIf(onLinux)(
    "are dead when the pid now belongs to another process (a different start time)",
    () => {
      const me = parseHolder(currentHolder());
      const reused = formatHolder({ ...(me as NonNullable<typeof me>), start: "1" });
      expect(holderIsDead(reused)).toBe(true);
    },
  );

  it("are dead when the pid is gone, and alive on another host until the lease expires", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    const pid = child.pid as number;
    await new Promise((resolve) => child.once("exit", resolve));
    expect(holderIsDead(`${hostname()}:${pid}:0:x`)).toBe(true);
    expect(holderIsDead(`some-other-host:${pid}:0:x`)).toBe(false);
    expect(holderIsDead(`${hostname()}:${pid}:x`)).toBe(true); // an older holder format
  });

  it.runIf(onLinux)("are dead when the process is a zombie nobody reaped", async () => {
    // `sleep 0` exits at once; its parent execs `sleep 2` and never reaps it.
    const zombie = await new Promise<number>((resolve) => {
      execFile("sh", ["-c", "sleep 0 & echo $!; exec sleep 2"], () => {}).stdout?.once(
        "data",
        (d) => resolve(Number(String(d).trim())),
      );
    });
    await new Promise((r) => setTimeout(r, 200));
    const state = readFileSync(`/proc/${zombie}/stat`, "utf8").split(") ")[1]?.[0];
    expect(state).toBe("Z");
    expect(holderIsDead(`${hostname()}:${zombie}:0:x`)).toBe(true);
  });
});

describe("LeaseKeeper", () => {
  it("notices a lost lease before the next write, once more than a third of its life has passed", () => {
    let now = 1_000_000;
    const clock = { now: () => new Date(now) };
    const store = new MemorySyncStore();
    expect(store.acquireLease("me", now, 30_000)).toBe(true);
    const lost: string[] = [];
    const keeper = new LeaseKeeper(store, "me", clock, (e) => lost.push(e.code), 30_000);
    try {
      expect(keeper.check()).toBeNull();
      now += 60_000; // paused past the TTL
      expect(store.acquireLease("other", now, 30_000)).toBe(true);
      expect(keeper.check()).toMatchObject({ code: "lease_lost" });
      expect(lost).toEqual(["lease_lost"]);
      expect(keeper.check()).toMatchObject({ code: "lease_lost" }); // once lost, always lost
    } finally {
      keeper.release();
    }
    expect(store.renewLease("other", now, 30_000)).toBe(true); // release never drops another's lease
  });
});
