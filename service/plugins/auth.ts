/**
 * Authentication and per-key request rate: every route the table marks `auth` needs `Authorization: Bearer
 * <key>`. A missing, wrong or revoked key gets the same 401 after the same work (see db/api-keys.ts), so the
 * answer does not tell which. Then the key's requestsPerSecond limit: 429 naming it.
 */
import type { FastifyInstance } from "fastify";
import fastifyPlugin from "fastify-plugin";
import { ApiError } from "../api-error";
import { RequestRateLimiter } from "../rate-limit";

/** Not encapsulated (fastify-plugin): its hook guards the routes of every other plugin. */
export const authPlugin = fastifyPlugin(async function auth(app: FastifyInstance): Promise<void> {
  const limiter = new RequestRateLimiter();
  app.addHook("onRequest", async (request) => {
    if (request.routeOptions.config.auth === false) return;
    const header = request.headers.authorization ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    const key = app.sandfleet.keys.verify(presented);
    if (!key) {
      throw ApiError.of("UNAUTHORIZED", "missing, unknown or revoked API key", "send 'Authorization: Bearer sfk_...' with a key from the stack output serviceApiKey or 'sandfleet keys create'");
    }
    request.audit.key = key;
    if (!limiter.take(key.id, key.limits.requestsPerSecond)) {
      throw ApiError.of("LIMIT_REQUESTS_PER_SECOND", `key ${key.id} (${key.name}) is over its requestsPerSecond limit of ${key.limits.requestsPerSecond}`, "slow down and retry after a second, or raise the key's requestsPerSecond limit");
    }
  });
});
