import { describe, expect, it } from "vitest";
import {
  coversWholeInternet,
  describePort,
  DOCKER_PLAIN_PORT,
  DOCKER_TLS_PORT,
  platformIngress,
  SSH_PORT,
  toCidr,
  workspaceIngress,
  type IngressRule,
  type LoadBalancerIngress,
} from "../../../components/ingress";
import { DOCKER_TLS_PORT as CLOUD_INIT_DOCKER_TLS_PORT } from "../../../cloud-init";

const admins = ["198.51.100.7/32", "2001:db8:ad::/48"];

describe("firewall sources", () => {
  it("get a /32 for a single IPv4 address and a /128 for a single IPv6 address", () => {
    expect(toCidr(" 198.51.100.7 ")).toBe("198.51.100.7/32");
    expect(toCidr("2001:db8::1")).toBe("2001:db8::1/128");
    expect(toCidr("10.0.0.0/16")).toBe("10.0.0.0/16");
  });

  it.each(["0.0.0.0/0", "::/0", "10.0.0.0/0"])("count %s as the whole internet", (cidr) => {
    expect(coversWholeInternet(cidr)).toBe(true);
  });

  it.each(["0.0.0.0/1", "10.0.0.0", "::/1"])("do not count %s as the whole internet", (cidr) => {
    expect(coversWholeInternet(cidr)).toBe(false);
  });

  it("use the Docker TLS port cloud-init configures dockerd with", () => {
    expect(DOCKER_TLS_PORT).toBe(CLOUD_INIT_DOCKER_TLS_PORT);
  });
});

describe("the platform's ingress", () => {
  it("admits only SSH from the admin networks when the platform serves nothing", () => {
    expect(platformIngress({ adminCidrs: admins, publicPorts: [] })).toEqual([
      { name: "ssh", ports: [22], from: "admins", sources: admins, description: "SSH from admin networks" },
    ]);
  });

  it("admits publicPorts from both families of the whole internet, ascending and each once", () => {
    const rules = platformIngress({ adminCidrs: admins, publicPorts: [443, 80, 443] });
    expect(rules[1]).toEqual({ name: "public", ports: [80, 443], from: "internet", sources: ["0.0.0.0/0", "::/0"], description: "ports the platform serves" });
  });

  it("writes admin addresses as CIDRs, each once", () => {
    expect(platformIngress({ adminCidrs: ["198.51.100.7", "198.51.100.7/32"], publicPorts: [] })[0].sources).toEqual(["198.51.100.7/32"]);
  });

  it("refuses an empty adminCidrs with a message that names the fix", () => {
    expect(() => platformIngress({ adminCidrs: [], publicPorts: [] })).toThrow(
      "adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.",
    );
  });

  it.each(["0.0.0.0/0", "::/0"])("refuses admin CIDR %s, which would open SSH to everyone", (cidr) => {
    expect(() => platformIngress({ adminCidrs: ["198.51.100.7/32", cidr], publicPorts: [] })).toThrow(
      `adminCidrs contains ${cidr}, which opens SSH to the whole internet; list your admin networks instead.`,
    );
  });

  it.each([SSH_PORT, DOCKER_PLAIN_PORT, DOCKER_TLS_PORT])("refuses to serve port %i publicly", (port) => {
    expect(() => platformIngress({ adminCidrs: admins, publicPorts: [port] })).toThrow(
      `publicPorts contains ${port}, which is never served publicly (SSH comes from adminCidrs only, the Docker API from a pool's dockerApiSources only); remove it.`,
    );
  });

  it.each([0, 70000, 44.5])("refuses public port %s, which is not a port", (port) => {
    expect(() => platformIngress({ adminCidrs: admins, publicPorts: [port] })).toThrow(
      `publicPorts contains ${port}; a port is an integer from 1 to 65535.`,
    );
  });

  it("names the load balancer setting when a load balancer port is refused", () => {
    const lb = (targetPorts: number[], healthCheckPort: number): LoadBalancerIngress => ({ targetPorts, healthCheckPort, keepsClientAddresses: false });
    expect(() => platformIngress({ adminCidrs: admins, publicPorts: [], loadBalancer: lb([2376], 443) })).toThrow(
      "loadBalancer.ports contains 2376, which is never served publicly",
    );
    expect(() => platformIngress({ adminCidrs: admins, publicPorts: [], loadBalancer: lb([443], 22) })).toThrow(
      "loadBalancer.healthCheckPort contains 22, which is never served publicly",
    );
  });

  it("admits a passthrough load balancer's ports from the internet and its health check from the checkers only", () => {
    const rules = platformIngress({
      adminCidrs: admins,
      publicPorts: [80],
      loadBalancer: { targetPorts: [443], healthCheckPort: 8080, keepsClientAddresses: true, healthCheckSources: ["35.191.0.0/16"] },
    });
    expect(rules.map((r) => [r.name, r.ports, r.sources])).toEqual([
      ["ssh", [22], admins],
      ["public", [80, 443], ["0.0.0.0/0", "::/0"]],
      ["health", [8080], ["35.191.0.0/16"]],
    ]);
  });

  it("admits a proxying load balancer's target and health-check ports from the load balancer only", () => {
    const rules = platformIngress({
      adminCidrs: admins,
      publicPorts: [],
      loadBalancer: { targetPorts: [8443, 8080], healthCheckPort: 8080, keepsClientAddresses: false, sources: ["10.0.0.0/24"] },
    });
    expect(rules.map((r) => [r.name, r.from, r.ports, r.sources])).toEqual([
      ["ssh", "admins", [22], admins],
      ["load-balancer", "load-balancer", [8080, 8443], ["10.0.0.0/24"]],
    ]);
  });

  it("leaves the load balancer's sources empty for the provider to name when it gives none", () => {
    const rules = platformIngress({ adminCidrs: admins, publicPorts: [], loadBalancer: { targetPorts: [443], healthCheckPort: 443, keepsClientAddresses: false } });
    expect(rules[1]).toMatchObject({ from: "load-balancer", sources: [] });
  });

  it("refuses a load balancer source that covers the whole internet", () => {
    expect(() =>
      platformIngress({ adminCidrs: admins, publicPorts: [], loadBalancer: { targetPorts: [443], healthCheckPort: 443, keepsClientAddresses: false, sources: ["0.0.0.0/0"] } }),
    ).toThrow("loadBalancer sources contains 0.0.0.0/0, which would admit the whole internet as the load balancer");
  });
});

describe("a workspace pool's ingress", () => {
  it("admits SSH from the admin networks and 2376 from the Docker API sources only", () => {
    expect(workspaceIngress({ adminCidrs: admins, dockerApiSources: ["10.0.0.0/16", "203.0.113.9", "203.0.113.9/32"] })).toEqual([
      { name: "ssh", ports: [22], from: "admins", sources: admins, description: "SSH from admin networks" },
      { name: "docker", ports: [2376], from: "platform", sources: ["10.0.0.0/16", "203.0.113.9/32"], description: "Docker API (mutual TLS) from the platform" },
    ]);
  });

  it("leaves 2376 closed when no source may reach the Docker API", () => {
    expect(workspaceIngress({ adminCidrs: admins, dockerApiSources: [] }).map((r) => r.name)).toEqual(["ssh"]);
  });

  it.each(["0.0.0.0/0", "::/0"])("refuses Docker API source %s", (source) => {
    expect(() => workspaceIngress({ adminCidrs: admins, dockerApiSources: ["10.0.0.0/16", source] })).toThrow(
      `dockerApiSources contains ${source}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  });

  it("refuses an admin CIDR that opens SSH to everyone, like the platform", () => {
    expect(() => workspaceIngress({ adminCidrs: ["::/0"], dockerApiSources: ["10.0.0.0/16"] })).toThrow("opens SSH to the whole internet");
  });
});

describe("port descriptions for one-port rule objects", () => {
  it("name the port of public and load balancer rules and keep the others' description", () => {
    const [ssh, pub, lb] = platformIngress({
      adminCidrs: admins,
      publicPorts: [443],
      loadBalancer: { targetPorts: [8443], healthCheckPort: 8443, keepsClientAddresses: false, sources: ["10.0.0.0/24"] },
    });
    expect([describePort(ssh, 22), describePort(pub, 443), describePort(lb, 8443)]).toEqual([
      "SSH from admin networks",
      "public port 443",
      "port 8443 from the load balancer",
    ]);
  });
});

/** A small deterministic generator (mulberry32), so a failing case is reproducible from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("whatever the stack asks for", () => {
  const sourcePool = ["0.0.0.0/0", "::/0", "10.0.0.0/0", "198.51.100.7", "198.51.100.0/24", "2001:db8::1", "10.0.0.0/16", "203.0.113.9/32", "0.0.0.0/1"];
  const portPool = [22, 2375, 2376, 80, 443, 8080, 8443, 0, 65535, 70000];
  const neverFromInternet = new Set([SSH_PORT, DOCKER_PLAIN_PORT, DOCKER_TLS_PORT]);

  const assertNoSensitivePortFromInternet = (rules: IngressRule[]) => {
    for (const rule of rules) {
      const sensitive = rule.ports.filter((p) => neverFromInternet.has(p));
      if (sensitive.length === 0) continue;
      expect(rule.from, `rule ${rule.name} admits ${sensitive.join(", ")}`).not.toBe("internet");
      expect(rule.sources.filter(coversWholeInternet), `rule ${rule.name} admits ${sensitive.join(", ")}`).toEqual([]);
    }
  };

  it("no rule ever admits 22, 2375 or 2376 from a /0 (2000 random stacks)", () => {
    const next = random(20240611);
    const pick = <T>(pool: T[], max: number) => Array.from({ length: Math.floor(next() * (max + 1)) }, () => pool[Math.floor(next() * pool.length)]);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const adminCidrs = pick(sourcePool, 3);
      const keepsClientAddresses = next() < 0.5;
      const loadBalancer: LoadBalancerIngress | undefined =
        next() < 0.5
          ? { targetPorts: pick(portPool, 3), healthCheckPort: pick(portPool, 1)[0] ?? 443, keepsClientAddresses, sources: pick(sourcePool, 2), healthCheckSources: pick(sourcePool, 2) }
          : undefined;
      for (const build of [
        () => platformIngress({ adminCidrs, publicPorts: pick(portPool, 3), loadBalancer }),
        () => workspaceIngress({ adminCidrs, dockerApiSources: pick(sourcePool, 3) }),
      ]) {
        let rules: IngressRule[];
        try {
          rules = build();
        } catch {
          continue; // refusing the stack is always safe
        }
        accepted++;
        assertNoSensitivePortFromInternet(rules);
      }
    }
    // The property must have been exercised on real rule sets, not only on refusals.
    expect(accepted).toBeGreaterThan(200);
  });
});
