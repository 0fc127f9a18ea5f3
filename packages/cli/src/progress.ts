import { type Progress, ProgressMeter } from "@coder-dx/core";
import type { Output } from "./output";

const LABELS: Record<Progress["phase"], string> = {
  read: "reading Coder and DX…",
  plan: "planning…",
  apply: "applying",
  done: "",
};

export interface ProgressDisplay {
  update(progress: Progress): void;
  stop(): void;
}

/**
 * A live line on a terminal; elsewhere (cron, CI, journald) one line every 10 s of a long
 * phase, `coder-dx: apply 12,400/100,000 · 9.8/s · eta 2h29m`, so an unattended run is never
 * silent for hours.
 */
export function progressDisplay(out: Output, interactive: boolean): ProgressDisplay {
  if (!interactive) {
    const meter = new ProgressMeter((report) => out.note(`coder-dx: ${report.line}`));
    return { update: (progress) => meter.update(progress), stop: () => meter.stop() };
  }
  return {
    update: ({ phase, done, total }) =>
      out.progress(
        phase === "done" ? null : phase === "apply" ? `applying ${done}/${total}` : LABELS[phase],
      ),
    stop: () => out.progress(null),
  };
}
