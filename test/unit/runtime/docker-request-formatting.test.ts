/**
 * docker-modem formats every request's options with util.inspect(showHidden, depth: null) for a debug line, even
 * when debugging is off, and those options carry the endpoint client's agent. The agent must print as one line, or
 * each Docker call blocks the event loop for milliseconds (the sandbox service's requests and exec output wait).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { EndpointClient } from "../../../runtime/docker/endpoint-client";
import { unitEndpoint, unitRegistry } from "./support/registry-fixture";

const asModemFormatsIt = (value: unknown) => inspect(value, { showHidden: true, depth: null });
const modemAgent = (client: EndpointClient) => (client.docker as unknown as { modem: { agent: unknown } }).modem.agent;

describe("the endpoint client's agent as docker-modem's debug line sees it", () => {
  let server: Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
    server = dir = undefined;
  });

  it("prints as one short line even with a keep-alive socket open", async () => {
    dir = mkdtempSync(join(tmpdir(), "sf-modem-"));
    const socketPath = join(dir, "docker.sock");
    server = createServer((_req, res) => res.end("OK"));
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    const client = EndpointClient.local(socketPath);
    try {
      await client.call("ping", (docker) => docker.ping());
      const agent = modemAgent(client) as { freeSockets: Record<string, unknown[]> };
      expect(Object.values(agent.freeSockets).flat().length).toBe(1); // the socket the ping left open
      const formatted = asModemFormatsIt({ path: "/_ping", method: "GET", agent });
      expect(formatted).toContain("[docker socket agent local]");
      expect(formatted.length).toBeLessThan(300);
    } finally {
      client.close();
    }
  });

  it("names the endpoint for an mTLS client, without its key material", () => {
    const endpoint = unitEndpoint("ws-1");
    const client = EndpointClient.remote(endpoint, unitRegistry([endpoint]).tls);
    const formatted = asModemFormatsIt({ agent: modemAgent(client) });
    expect(formatted).toBe("{ agent: [docker mTLS agent ws-1] }");
    client.close();
  });
});
