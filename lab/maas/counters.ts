/**
 * Request counters, so tests can assert how many reads and writes a client made ("0 writes for bad input", "one
 * list per subnet per refresh"). Per process only: a restart starts from zero.
 */
import type { SimCounters } from "./types";

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export class RequestCounters {
  private data: SimCounters = { total: 0, reads: 0, writes: 0, faults: 0, byRoute: {} };

  /** Count one API request; `route` like "reservedips/{id}", `op` from the query string or form body. */
  count(method: string, route: string, op: string | null): void {
    this.data.total++;
    if (READ_METHODS.has(method)) this.data.reads++;
    else this.data.writes++;
    const key = op ? `${method} ${route} op=${op}` : `${method} ${route}`;
    this.data.byRoute[key] = (this.data.byRoute[key] ?? 0) + 1;
  }

  fault(): void {
    this.data.faults++;
  }

  snapshot(): SimCounters {
    return { ...this.data, byRoute: { ...this.data.byRoute } };
  }

  reset(): void {
    this.data = { total: 0, reads: 0, writes: 0, faults: 0, byRoute: {} };
  }
}
