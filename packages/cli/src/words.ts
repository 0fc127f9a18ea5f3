import { styleText } from "node:util";
import { humanTime } from "@coder-dx/core";

/** `1 write`, `3 writes`: a count and its noun, never `write(s)`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

/** The one time format for people (core's `humanTime`). */
export const formatTime = humanTime;

type Style = Parameters<typeof styleText>[0];

/**
 * Colour for people at a terminal: none when the stream is not a TTY, when `NO_COLOR` is set
 * (no-color.org) or the terminal is `dumb`. `FORCE_COLOR` turns it on anywhere.
 */
export function painter(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env) {
  const on =
    env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0"
      ? true
      : stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  // The decision is this function's: styleText is told not to look at the stream again.
  return (style: Style, text: string) =>
    on ? styleText(style, text, { validateStream: false }) : text;
}

export type Paint = ReturnType<typeof painter>;

/** What each status means at a glance: green done, yellow look, red failed. */
export function statusStyle(status: string): Style {
  switch (status) {
    case "succeeded":
    case "applied":
    case "sent":
      return "green";
    case "failed":
    case "rejected":
    case "abandoned":
      return "red";
    case "running":
    case "pending":
      return "cyan";
    default:
      return "yellow";
  }
}
