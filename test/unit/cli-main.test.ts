import { describe, expect, it } from "vitest";
import { COMMANDS, main } from "../../cli/main";
import { renderReports } from "../../cli/commands/doctor";
import type { CliIo } from "../../cli/io";

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("the sandfleet CLI", () => {
  it("lists every command of the command table in its help", async () => {
    const capture = captureIo();
    expect(await main(["--help"], capture.io)).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(capture.out()).toContain(name);
  });

  it("rejects an unknown command with exit code 2", async () => {
    const capture = captureIo();
    expect(await main(["frobnicate"], capture.io)).toBe(2);
    expect(capture.err()).toContain('unknown command "frobnicate"');
  });

  it("rejects unknown options with the command's usage", async () => {
    const capture = captureIo();
    expect(await main(["doctor", "--registry", "x.json", "--colour"], capture.io)).toBe(2);
    expect(capture.err()).toMatch(/Unknown option '--colour'/);
    expect(capture.err()).toContain("usage: sandfleet doctor");
  });

  it("prints one verdict per endpoint and the fix of every problem", () => {
    const text = renderReports([
      { id: "a", address: "10.0.0.1:2376", verdict: "ready", checks: [{ name: "tcp", status: "ok", summary: "ok" }] },
      {
        id: "b",
        address: "10.0.0.2:2376",
        verdict: "failing",
        checks: [
          { name: "tcp", status: "ok", summary: "ok" },
          { name: "tls", status: "fail", summary: "unknown CA", detail: "re-export the registry" },
          { name: "api", status: "skip", summary: "-" },
        ],
      },
    ]);
    expect(text).toMatch(/^a +10\.0\.0\.1:2376 +ok .*READY$/m);
    expect(text).toMatch(/^b +10\.0\.0\.2:2376 +ok +FAIL unknown CA .*FAILING$/m);
    expect(text).toContain("b tls: re-export the registry");
    expect(text).toContain("1 of 2 endpoint(s) failing");
  });
});
