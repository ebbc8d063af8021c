/**
 * When a segment is due for sealing, and how many sealed segments the database keeps.
 * Both are policy, not format: changing them never invalidates existing seals.
 */
export interface SegmentPolicy {
  /** Seal once the open segment holds this many entries (default 10,000). */
  maxEntries: number;
  /** Seal once the open segment's canonical JSON reaches this many bytes (default 8 MiB). */
  maxBytes: number;
}

export const DEFAULT_SEGMENT_POLICY: SegmentPolicy = { maxEntries: 10_000, maxBytes: 8 * 1024 * 1024 };

export interface RetentionPolicy {
  /** Directory for the gzip JSONL archives of sealed segments. */
  archiveDir: string;
  /** Sealed segments kept in the database, newest first (the open segment is always kept). */
  keepSegments: number;
}
