/**
 * Registers a handler for one entry of the API route table (runtime/api/routes.ts), validating the request's
 * body and query with that entry's zod schemas first, so a handler only ever sees parsed, typed input and a bad
 * request is answered 400 with the field named. The table is the only place a route's path and shape are written.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type * as z from "zod/v4";
import { ApiRoute, fastifyPath } from "../runtime/api/routes";
import { ApiError } from "./api-error";

type JsonBody<R extends ApiRoute> = R["body"] extends z.ZodType ? z.infer<R["body"]> : R["body"] extends { raw: string } ? Buffer : undefined;
type Query<R extends ApiRoute> = R["query"] extends z.ZodType ? z.infer<R["query"]> : undefined;

export interface RouteInput<R extends ApiRoute> {
  body: JsonBody<R>;
  query: Query<R>;
  params: Record<string, string>;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** The zod issues of a bad request as one sentence naming each field. */
export function describeIssues(where: string, error: z.ZodError): string {
  return error.issues.map((i) => `${[where, ...i.path].join(".")}: ${i.message}`).join("; ");
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw ApiError.of("INVALID_REQUEST", describeIssues(where, result.error), "fix the named field(s); /openapi.json describes every request");
  return result.data;
}

export function apiRoute<R extends ApiRoute>(app: FastifyInstance, route: R, handler: (input: RouteInput<R>) => Promise<unknown>): void {
  app.route({
    method: route.method,
    url: fastifyPath(route.path),
    config: { auth: route.auth },
    handler: async (request, reply) => {
      const body = route.body && !("raw" in route.body) ? parseInput(route.body as z.ZodType, request.body ?? {}, "body") : request.body;
      const query = route.query ? parseInput(route.query, request.query, "query") : undefined;
      const result = await handler({ body, query, params: request.params as Record<string, string>, request, reply } as RouteInput<R>);
      if (reply.sent) return reply;
      reply.code(route.status);
      return result ?? reply.send();
    },
  });
}
