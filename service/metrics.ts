/**
 * The service's own Prometheus metrics (requests by route and status, their duration), on a registry of its own;
 * /metrics serves them merged with the pool's.
 */
import { Counter, Histogram, Registry } from "prom-client";

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: "sandfleet_service_requests_total", help: "API requests answered, by route and status.", labelNames: ["route", "status"], registers: [this.registry] });
  readonly duration = new Histogram({
    name: "sandfleet_service_request_duration_seconds",
    help: "Time from request to answer (streams: to the end of the stream).",
    labelNames: ["route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });
}
