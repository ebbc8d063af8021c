/** One measured comparison: Tether's figure beside the baseline the issue names. */
export interface BenchRow {
  /** What was measured, e.g. "commit 3 files, 10k-file repo". */
  case: string;
  /** Tether's figure. */
  tether: number;
  /** The baseline's figure, measured in the same run. */
  baseline?: number;
  /** Name of the baseline, e.g. "native git". */
  baselineName?: string;
  /** Unit of both figures, e.g. "ms", "ops/s", "MB". */
  unit: string;
  /** The target, as text, e.g. "≤ 0.5×". */
  target?: string;
  /** Whether higher figures are better (throughput) or lower (latency, memory). */
  higherIsBetter?: boolean;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  notes?: string[];
}

/** A benchmark file's default export. */
export type Bench = () => Promise<BenchSection>;
