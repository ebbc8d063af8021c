/** What one incremental scan read: kept on the detector so tests and benches can see it. */
export interface ScanStats {
  /** The watermark the scan started from. */
  from: number;
  /** The watermark it left: the highest execution id read. */
  to: number;
  /** Executions read past the watermark. */
  rowsRead: number;
  /** Task types whose windows were evaluated. */
  typesChecked: string[];
  findings: number;
}
