import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allSteps, pulumiSteps, readWorkflow, workflowsDir } from "./workflow-file";

const repoRoot = join(__dirname, "..", "..", "..");
const packageJson = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const workflowFiles = readdirSync(workflowsDir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));

describe("the ci workflow", () => {
  const ci = readWorkflow("ci.yml");

  it("runs on pull requests and on pushes to main", () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["pull_request", "push"]));
    expect(ci.on.push.branches).toEqual(["main"]);
  });

  it("installs Node with setup-node after checking out", () => {
    for (const job of Object.values(ci.jobs)) {
      const uses = job.steps.map((s) => s.uses ?? "");
      const checkout = uses.findIndex((u) => u.startsWith("actions/checkout@"));
      const setupNode = uses.findIndex((u) => u.startsWith("actions/setup-node@"));
      expect(checkout).toBeGreaterThanOrEqual(0);
      expect(setupNode).toBeGreaterThan(checkout);
    }
  });

  it("type-checks and runs the unit tier on both supported Node lines, 22 and 24", () => {
    const unit = Object.values(ci.jobs).find((job) => job.steps.some((s) => s.run === "npm test -- --project unit"))!;
    expect((unit as any).strategy.matrix.node).toEqual([22, 24]);
    expect(unit.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))!.with!["node-version"]).toBe("${{ matrix.node }}");
  });

  it("gives .ci/run Node 22 as the job's own Node, so that with its Node 24 one run covers both lines", () => {
    const full = Object.values(ci.jobs).find((job) => job.steps.some((s) => s.run === "bash .ci/run"))!;
    expect(full.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))!.with!["node-version"]).toBe(22);
  });

  it("runs the repository's CI entry point, which installs the Debian packages and runs npm test", () => {
    const runs = allSteps(ci).map((s) => s.run ?? "");
    expect(runs).toContain("bash .ci/run");
    expect(existsSync(join(repoRoot, ".ci", "run"))).toBe(true);
  });

  it("runs the full tiers in a privileged Debian 12 container with its own Docker engine", () => {
    const full = Object.values(ci.jobs).find((job) => job.steps.some((s) => s.run === "bash .ci/run"))!;
    expect(full.container?.image).toMatch(/^debian:(bookworm|12)/);
    expect(full.container?.options).toContain("--privileged");
    const runs = full.steps.map((s) => s.run ?? "");
    const detach = runs.findIndex((r) => r.includes("umount /var/run/docker.sock"));
    expect(detach).toBeGreaterThanOrEqual(0);
    expect(detach).toBeLessThan(runs.indexOf("bash .ci/run"));
  });

  it("also type-checks and runs the unit tier on a plain runner for fast feedback", () => {
    const runs = allSteps(ci).map((s) => s.run ?? "");
    expect(runs).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm run typecheck", "npm test -- --project unit"]));
  });
});

describe("the preview workflow", () => {
  const preview = readWorkflow("preview.yml");
  const [step] = pulumiSteps(preview);

  it("runs on pull requests to main, never with pull_request_target", () => {
    expect(preview.on.pull_request.branches).toEqual(["main"]);
    expect(preview.on).not.toHaveProperty("pull_request_target");
  });

  it("skips pull requests from forks, which get no secrets", () => {
    expect(preview.jobs[step.job].if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
  });

  it("may write pull-request comments and nothing else", () => {
    expect(preview.jobs[step.job].permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  it("runs pulumi preview with a diff, a PR comment and the policy pack", () => {
    expect(step.uses).toBe("pulumi/actions@v6");
    expect(step.with).toMatchObject({ command: "preview", "comment-on-pr": true, diff: true, policyPacks: "policy" });
    expect(existsSync(join(repoRoot, String(step.with!.policyPacks), "PulumiPolicy.yaml"))).toBe(true);
  });

  it("takes the stack from an input or a repository variable, defaulting to dev", () => {
    expect(step.with!["stack-name"]).toBe("${{ env.STACK }}");
    expect(preview.jobs[step.job].env!.STACK).toBe("${{ inputs.stack || vars.SANDFLEET_PREVIEW_STACK || 'dev' }}");
  });

  it("supports Pulumi Cloud and a self-managed backend with a passphrase", () => {
    expect(step.with!["cloud-url"]).toBe("${{ vars.PULUMI_BACKEND_URL }}");
    expect(step.env).toMatchObject({
      PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
      PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
    });
  });

  it("hands every provider's credentials to pulumi from secrets", () => {
    for (const name of ["HCLOUD_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOOGLE_CREDENTIALS", "ARM_CLIENT_SECRET", "DIGITALOCEAN_TOKEN", "CLOUDFLARE_API_TOKEN"]) {
      expect(step.env?.[name], name).toBe(`\${{ secrets.${name} }}`);
    }
  });
});

describe("the deploy workflow", () => {
  const deploy = readWorkflow("deploy.yml");
  const [step] = pulumiSteps(deploy);
  const upJob = deploy.jobs[step.job];

  it("runs only on pushes to main", () => {
    expect(Object.keys(deploy.on)).toEqual(["push"]);
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(upJob.if).toBe("github.ref == 'refs/heads/main'");
  });

  it("runs pulumi up with the policy pack", () => {
    expect(step.with).toMatchObject({ command: "up", policyPacks: "policy" });
  });

  it("waits behind a GitHub environment named after the stack, where required reviewers approve", () => {
    expect(upJob.environment).toEqual({ name: "${{ vars.SANDFLEET_DEPLOY_STACK || 'prod' }}" });
  });

  it("runs after the unit tests pass", () => {
    const needs = [upJob.needs ?? []].flat();
    expect(needs.length).toBeGreaterThan(0);
    for (const need of needs) expect(deploy.jobs[need].steps.map((s) => s.run)).toContain("npm test -- --project unit");
  });

  it("never runs two updates of one stack at once and never cancels one in flight", () => {
    expect(upJob.concurrency).toEqual({ group: "pulumi-up-${{ vars.SANDFLEET_DEPLOY_STACK || 'prod' }}", "cancel-in-progress": false });
  });

  it("runs on a self-hosted runner when one is named, else on a hosted runner (which needs sandfleet:ssh.bastion)", () => {
    expect(upJob["runs-on"]).toBe("${{ vars.SANDFLEET_DEPLOY_RUNNER || 'ubuntu-24.04' }}");
  });

  it("says what must reach what, and how a runner outside adminCidrs reaches the servers", () => {
    for (const fact of ["sandfleet:ssh.bastion", "runner -> jump host", "jump host -> every server's", "SANDFLEET_DEPLOY_RUNNER", "2376", "120 times x 15 s"]) {
      expect(deploy.text, fact).toContain(fact);
    }
  });

  it("tells the program whether its runner is GitHub-hosted, so a deploy that could not reach the servers stops at once", () => {
    expect(step.env?.SANDFLEET_RUNNER_ENVIRONMENT).toBe("${{ runner.environment }}");
  });

  it("asks for no write permission at all", () => {
    expect(upJob.permissions).toEqual({ contents: "read" });
  });
});

describe.each(workflowFiles)("%s", (file) => {
  const workflow = readWorkflow(file);

  it("installs only Node lines that package.json's engines allow (Node 20 is end of life)", () => {
    const minimumMajor = Number(/^>=(\d+)$/.exec(packageJson.engines.node)![1]);
    expect(minimumMajor).toBeGreaterThanOrEqual(22);
    for (const step of allSteps(workflow).filter((s) => s.uses?.startsWith("actions/setup-node@"))) {
      const version = step.with!["node-version"];
      const majors = version === "${{ matrix.node }}" ? (workflow.jobs[step.job] as any).strategy.matrix.node : [version];
      for (const major of majors) expect(major, `${step.job}: node ${major}`).toBeGreaterThanOrEqual(minimumMajor);
    }
  });

  it("declares read-only repository permissions at the top", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
  });

  it("grants no job more than contents read and pull-request writes", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (job.permissions === undefined) continue;
      expect(typeof job.permissions, name).toBe("object");
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        expect(level === "read" || level === "none" || (scope === "pull-requests" && level === "write"), `${name}: ${scope}: ${level}`).toBe(true);
      }
    }
  });

  it("never puts a secret into a shell command, where it could be echoed", () => {
    for (const step of allSteps(workflow)) expect(step.run ?? "", step.name ?? step.job).not.toMatch(/secrets\./);
  });

  it("passes secrets only through the env or inputs of a pinned action", () => {
    for (const step of allSteps(workflow)) {
      const carriesSecret = JSON.stringify({ env: step.env, with: step.with }).includes("secrets.");
      if (carriesSecret) expect(step.uses, step.name ?? step.job).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    }
  });

  it("pins every action to a major version", () => {
    for (const step of allSteps(workflow)) if (step.uses) expect(step.uses).toMatch(/@v\d+(\.\d+)*$|@[0-9a-f]{40}$/);
  });

  it("bounds every job's run time", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) expect((job as any)["timeout-minutes"], name).toBeGreaterThan(0);
  });
});
