/**
 * Prometheus metrics of one pool, on a registry of its own (never prom-client's global one, so several pools
 * and the host application's own metrics never collide). Gauges are computed at scrape time from the pool's
 * state, so they cannot drift from it.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EndpointState } from "./placement";

export interface MetricsSnapshot {
  /** One row per endpoint x profile. */
  sandboxes: { endpoint: string; profile: string; idle: number; leased: number; creating: number }[];
  endpoints: { endpoint: string; state: EndpointState }[];
}

const STATES: EndpointState[] = ["ready", "unresponsive", "draining"];

export class PoolMetrics {
  readonly registry = new Registry();
  readonly acquireDuration: Histogram<"profile" | "outcome">;
  readonly createDuration: Histogram<"endpoint" | "profile" | "outcome">;
  readonly errors: Counter<"endpoint" | "kind">;
  readonly egressDenied: Counter<"endpoint" | "profile">;

  constructor(poolId: string, snapshot: () => MetricsSnapshot) {
    this.registry.setDefaultLabels({ pool: poolId });
    const perState = (name: string, help: string, pick: (row: MetricsSnapshot["sandboxes"][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["endpoint", "profile"],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const row of snapshot().sandboxes) this.set({ endpoint: row.endpoint, profile: row.profile }, pick(row));
        },
      });
    perState("sandfleet_pool_idle_sandboxes", "Warm sandboxes waiting to be acquired.", (r) => r.idle);
    perState("sandfleet_pool_leased_sandboxes", "Sandboxes handed out and not yet released.", (r) => r.leased);
    perState("sandfleet_pool_creating_sandboxes", "Sandboxes being created and started.", (r) => r.creating);
    new Gauge({
      name: "sandfleet_pool_endpoint_state",
      help: "1 for the endpoint's current health state (ready, unresponsive, draining), 0 for the others.",
      labelNames: ["endpoint", "state"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const e of snapshot().endpoints) for (const s of STATES) this.set({ endpoint: e.endpoint, state: s }, e.state === s ? 1 : 0);
      },
    });
    this.acquireDuration = new Histogram({
      name: "sandfleet_pool_acquire_duration_seconds",
      help: "Time from acquire() to a sandbox handed out (outcome ok) or to the error.",
      labelNames: ["profile", "outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.createDuration = new Histogram({
      name: "sandfleet_pool_create_duration_seconds",
      help: "Time to create + start a sandbox and open its channel.",
      labelNames: ["endpoint", "profile", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: "sandfleet_pool_errors_total",
      help: "Errors by endpoint and kind (create-failed, ping-failed, acquire-timeout, acquire-failed, lease-expired, destroy-failed, orphan-removed, egress-read-failed, egress-listener-failed).",
      labelNames: ["endpoint", "kind"],
      registers: [this.registry],
    });
    this.egressDenied = new Counter({
      name: "sandfleet_pool_egress_denied_total",
      help: "Requests the workspace hosts' egress proxy refused to sandboxes, by endpoint and profile (the pool reads each leased sandbox's denial log every health interval and after its release; each refusal counted once).",
      labelNames: ["endpoint", "profile"],
      registers: [this.registry],
    });
  }
}
