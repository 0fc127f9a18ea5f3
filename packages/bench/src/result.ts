/** One figure a benchmark prints, and what it is held to. */
export interface Result {
  scenario: string;
  figure: string;
  value: number;
  unit: string;
  /** The physical bound or the fixed target the figure is held to. */
  bound: number;
  /** value ÷ bound. */
  ratio: number;
  limit: string;
  pass: boolean;
  details: Record<string, unknown>;
}

export function result(
  scenario: string,
  figure: string,
  value: number,
  unit: string,
  bound: number,
  maxRatio: number,
  details: Record<string, unknown> = {},
): Result {
  const ratio = bound === 0 ? (value === 0 ? 0 : Number.POSITIVE_INFINITY) : value / bound;
  return {
    scenario,
    figure,
    value,
    unit,
    bound,
    ratio,
    limit: maxRatio === 1 ? "≤ bound" : `≤ ${maxRatio} × bound`,
    pass: ratio <= maxRatio,
    details,
  };
}
