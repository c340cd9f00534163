/**
 * Deliberate failures for API requests, so clients can be tested against what a busy or restarting MAAS does:
 * 503 with Retry-After (regiond without a rack connection), 502/504 from the nginx front end, or a dropped
 * connection. Everything is deterministic: `burst` faults the next N requests, `rate` draws from a seeded PRNG,
 * and successive faults take `kinds` in turn.
 */
import { HTML_TYPE, textReply, type Reply } from "./http-io";
import type { FaultPlan } from "./types";

export type FaultKind = "503" | "502" | "504" | "reset";

const DEFAULT_KINDS: FaultKind[] = ["503", "reset"];

/** mulberry32: a tiny, well-known 32-bit PRNG; enough for reproducible fault patterns. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Refuse plans that cannot mean anything, with the field to fix. */
export function checkFaultPlan(plan: FaultPlan): void {
  if (plan.rate !== undefined && !(plan.rate >= 0 && plan.rate <= 1)) {
    throw new Error(`FaultPlan.rate must be between 0 and 1, got ${plan.rate}.`);
  }
  for (const k of plan.kinds ?? []) {
    if (!["503", "502", "504", "reset"].includes(k)) throw new Error(`FaultPlan.kinds: "${k}" is not one of 503, 502, 504, reset.`);
  }
  if (plan.kinds !== undefined && plan.kinds.length === 0) throw new Error("FaultPlan.kinds is empty; omit it for the default [\"503\", \"reset\"].");
  for (const key of ["burst", "delayMs", "retryAfter"] as const) {
    const v = plan[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`FaultPlan.${key} must be a number ≥ 0, got ${v}.`);
  }
}

export class FaultInjector {
  private plan: FaultPlan = {};
  private burstLeft = 0;
  private random: () => number = mulberry32(1);
  private served = 0;

  set(plan: FaultPlan): void {
    checkFaultPlan(plan);
    this.plan = { ...plan, kinds: plan.kinds ? [...plan.kinds] : undefined };
    this.burstLeft = Math.floor(plan.burst ?? 0);
    this.random = mulberry32(plan.seed ?? 1);
    this.served = 0;
  }

  clear(): void {
    this.set({});
  }

  get delayMs(): number {
    return this.plan.delayMs ?? 0;
  }

  get writesApplyBeforeFault(): boolean {
    return this.plan.writesApplyBeforeFault === true;
  }

  /** Decide for one request: the fault kind, or null to serve it normally. */
  next(): FaultKind | null {
    let faulted = false;
    if (this.burstLeft > 0) {
      this.burstLeft--;
      faulted = true;
    } else if ((this.plan.rate ?? 0) > 0) {
      faulted = this.random() < (this.plan.rate ?? 0);
    }
    if (!faulted) return null;
    const kinds = this.plan.kinds ?? DEFAULT_KINDS;
    return kinds[this.served++ % kinds.length];
  }

  /** The HTTP answer for a non-reset fault. */
  reply(kind: Exclude<FaultKind, "reset">): Reply {
    switch (kind) {
      case "503":
        return textReply(503, "Unable to connect to any rack controller; no connections available.", {
          "Retry-After": String(this.plan.retryAfter ?? 1),
        });
      case "502":
        return {
          status: 502,
          headers: { "Content-Type": HTML_TYPE },
          body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        };
      case "504":
        return textReply(504, "Timed out waiting for a response from the rack controller.");
    }
  }
}
