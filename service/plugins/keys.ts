/**
 * API key management over HTTP, for admin keys only (the stack's initial key is one). The same operations on
 * the platform itself, without a key: `sandfleet keys create|list|revoke --config FILE` (cli/commands/keys.ts).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { API_ROUTES } from "../../runtime/api/routes";
import type { ApiKeyInfo } from "../../runtime/api/schemas";
import { ApiError } from "../api-error";
import { callerKey } from "../caller";
import type { ApiKeyRecord } from "../db/api-keys";
import { apiRoute } from "../route";

export function apiKeyInfo(record: ApiKeyRecord): ApiKeyInfo {
  return {
    id: record.id,
    name: record.name,
    admin: record.admin,
    limits: record.limits,
    createdAt: record.createdAt.toISOString(),
    ...(record.revokedAt ? { revokedAt: record.revokedAt.toISOString() } : {}),
  };
}

export async function keysPlugin(app: FastifyInstance): Promise<void> {
  const { keys, config } = app.sandfleet;
  const admin = (request: FastifyRequest) => {
    const key = callerKey(request);
    if (!key.admin) throw ApiError.of("FORBIDDEN", `key ${key.id} (${key.name}) is not an admin key`, "manage keys with an admin key, or on the platform with 'sandfleet keys'");
  };
  apiRoute(app, API_ROUTES.createKey, async ({ body, request }) => {
    admin(request);
    const { key, record } = keys.create(body.name, { ...config.defaultLimits, ...body.limits }, { admin: body.admin ?? false });
    return { ...apiKeyInfo(record), key };
  });
  apiRoute(app, API_ROUTES.listKeys, async ({ request }) => {
    admin(request);
    return { keys: keys.list().map(apiKeyInfo) };
  });
  apiRoute(app, API_ROUTES.revokeKey, async ({ params, request }) => {
    admin(request);
    const revoked = keys.revoke(params.id!);
    if (!revoked) throw ApiError.of("NOT_FOUND", `no API key "${params.id}"`, "GET /v1/keys lists the keys");
    return apiKeyInfo(revoked);
  });
}
