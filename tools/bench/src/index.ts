/**
 * A benchmark compares what Hop3 does (`subject`) with the raw tool doing the same work
 * (`baseline`), in the same run, so the ratio means something on any machine.
 */
export interface BenchSide {
  /** What runs, e.g. "NixBuilder.build" or "nix-build". */
  readonly label: string;
  readonly run: () => Promise<unknown> | unknown;
}

export interface BenchCase {
  readonly name: string;
  readonly subject: BenchSide;
  readonly baseline: BenchSide;
  /** Timed runs of each side (default 10); one untimed warm-up run precedes them. */
  readonly iterations?: number;
  /** Skip the warm-up, for cases that measure a first (cold) run on purpose. */
  readonly cold?: boolean;
  /** Runs before each timed run of either side, untimed (e.g. clearing a cache). */
  readonly beforeEach?: () => Promise<unknown> | unknown;
  /** What the case aims at, printed next to it ("< 50 ms overhead"). */
  readonly goal?: string;
}

export interface BenchSuite {
  readonly name: string;
  /** Prepares what the cases need; may return a teardown. */
  readonly setup?: () => Promise<(() => Promise<void> | void) | void> | (() => void) | void;
  readonly cases: readonly BenchCase[] | (() => readonly BenchCase[]);
  /** Measures that are not times (peak memory...), run after the cases; each line is printed under the table. */
  readonly notes?: () => Promise<readonly string[]> | readonly string[];
}

export const defineBench = (suite: BenchSuite): BenchSuite => suite;

export interface BenchResult {
  readonly suite: string;
  readonly name: string;
  readonly subject: { label: string; medianMs: number };
  readonly baseline: { label: string; medianMs: number };
  readonly ratio: number;
  readonly overheadMs: number;
  readonly goal?: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function time(side: BenchSide): Promise<number> {
  const started = performance.now();
  await side.run();
  return performance.now() - started;
}

/** Runs one suite; subject and baseline alternate so drift in the machine hits both alike. */
export async function runSuite(suite: BenchSuite): Promise<{ results: BenchResult[]; notes: string[] }> {
  const teardown = await suite.setup?.();
  try {
    const cases = typeof suite.cases === "function" ? suite.cases() : suite.cases;
    const results: BenchResult[] = [];
    for (const c of cases) {
      if (!c.cold) {
        await c.beforeEach?.();
        await c.baseline.run();
        await c.beforeEach?.();
        await c.subject.run();
      }
      const subject: number[] = [];
      const baseline: number[] = [];
      for (let i = 0; i < (c.iterations ?? 10); i++) {
        await c.beforeEach?.();
        baseline.push(await time(c.baseline));
        await c.beforeEach?.();
        subject.push(await time(c.subject));
      }
      const s = median(subject);
      const b = median(baseline);
      results.push({
        suite: suite.name,
        name: c.name,
        subject: { label: c.subject.label, medianMs: s },
        baseline: { label: c.baseline.label, medianMs: b },
        ratio: b > 0 ? s / b : Number.NaN,
        overheadMs: s - b,
        ...(c.goal !== undefined && { goal: c.goal }),
      });
    }
    const notes = [...((await suite.notes?.()) ?? [])].map((note) => `${suite.name}: ${note}`);
    return { results, notes };
  } finally {
    if (typeof teardown === "function") await teardown();
  }
}

/** The results as a Markdown table, as printed by `pnpm bench`. */
export function formatResults(results: readonly BenchResult[]): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const rows = results.map((r) => [
    `${r.suite}: ${r.name}`,
    `${r.subject.label} ${ms(r.subject.medianMs)}`,
    `${r.baseline.label} ${ms(r.baseline.medianMs)}`,
    `${r.ratio.toFixed(2)}x`,
    `${r.overheadMs >= 0 ? "+" : ""}${ms(r.overheadMs)}`,
    r.goal ?? "",
  ]);
  const header = ["case", "hop3 (median)", "raw tool (median)", "ratio", "overhead", "goal"];
  const table = [header, header.map(() => "---"), ...rows];
  return table.map((row) => `| ${row.join(" | ")} |`).join("\n");
}
