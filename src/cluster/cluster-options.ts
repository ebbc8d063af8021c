/** Timings of the coordination between processes sharing one PostgreSQL database. */
export interface ClusterOptions {
  /** How long a modification lease holds without renewal: a dead owner's work waits this long (default 15 s). */
  leaseMs: number;
  /** How often leases are renewed, new or orphaned modifications claimed, and decisions polled (default 1 s). */
  syncMs: number;
  /** How often a follower tries to become the generator's leader (default 2 s). */
  electionMs: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = { leaseMs: 15_000, syncMs: 1_000, electionMs: 2_000 };
