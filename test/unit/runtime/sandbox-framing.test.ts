import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DockerStreamDemuxer } from "../../../runtime/docker/multiplexed-stream";
import { EndMarkerScanner } from "../../../runtime/sandbox/end-marker";
import {
  MARKER_TRAILER_LENGTH,
  markerPrefix,
  newNonce,
  parseTrailer,
  renderExecProgram,
  renderPutFileProgram,
  shellQuote,
} from "../../../runtime/sandbox/shell-program";

function frame(stream: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function demuxAll(wire: Buffer, chunkSizes: () => number) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const demuxer = new DockerStreamDemuxer((which, payload) => (which === "stdout" ? out : err).push(Buffer.from(payload)));
  for (let offset = 0; offset < wire.length; ) {
    const size = Math.max(1, chunkSizes());
    demuxer.push(wire.subarray(offset, offset + size));
    offset += size;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), boundary: demuxer.atFrameBoundary };
}

/** Runs a rendered program in this machine's /bin/sh, read from stdin as the sandbox's shell reads it; returns stdout. */
function runInLocalShell(program: string): { stdout: Buffer } {
  const stdout = execFileSync("sh", [], { input: program, stdio: ["pipe", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 });
  return { stdout };
}

describe("Docker stream demultiplexing", () => {
  const stdout = Buffer.from("out-".repeat(5000));
  const stderr = Buffer.from("err-".repeat(3000));
  const wire = Buffer.concat([frame(1, stdout.subarray(0, 7000)), frame(2, stderr.subarray(0, 5)), frame(1, stdout.subarray(7000)), frame(2, stderr.subarray(5)), frame(1, Buffer.alloc(0))]);

  it("separates stdout and stderr when chunks split frames and headers anywhere", () => {
    for (const size of [1, 3, 7, 8, 9, 4096]) {
      const result = demuxAll(wire, () => size);
      expect(result.stdout.equals(stdout)).toBe(true);
      expect(result.stderr.equals(stderr)).toBe(true);
      expect(result.boundary).toBe(true);
    }
  });

  it("separates the streams for random chunk sizes", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), (seed % 50) + 1);
    const result = demuxAll(wire, random);
    expect(result.stdout.equals(stdout)).toBe(true);
    expect(result.stderr.equals(stderr)).toBe(true);
  });

  it("reports a frame cut off mid-payload", () => {
    const demuxer = new DockerStreamDemuxer(() => undefined);
    demuxer.push(frame(1, Buffer.from("hello")).subarray(0, 10));
    expect(demuxer.atFrameBoundary).toBe(false);
  });
});

describe("end-of-command marker scanning", () => {
  const nonce = newNonce();
  const prefix = Buffer.from(markerPrefix(nonce));

  it("cuts the output exactly before a marker split across chunks", () => {
    const body = Buffer.from("no trailing newline");
    const wire = Buffer.concat([body, prefix, Buffer.from("042:0\n")]);
    for (let split = 1; split < wire.length; split++) {
      const scanner = new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH);
      expect(scanner.push(wire.subarray(0, split))).toBe(false);
      expect(scanner.push(wire.subarray(split))).toBe(true);
      expect(scanner.done!.output.toString()).toBe("no trailing newline");
      expect(parseTrailer(scanner.done!.trailer)).toEqual({ exitCode: 42, timedOut: false });
    }
  });

  it("ignores markers with another nonce", () => {
    const scanner = new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH);
    const forged = `${markerPrefix(newNonce())}000:0\n__sf_${nonce.slice(0, 10)}:000:0\n`;
    expect(scanner.push(Buffer.from(forged))).toBe(false);
    expect(scanner.push(Buffer.concat([prefix, Buffer.from("001:1\n")]))).toBe(true);
    expect(scanner.done!.output.toString()).toBe(forged);
    expect(parseTrailer(scanner.done!.trailer)).toEqual({ exitCode: 1, timedOut: true });
  });

  it("streams output as it arrives, holding back only a tail that could start the marker", () => {
    const scanner = new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH);
    const released: string[] = [];
    const feed = (text: string | Buffer) => {
      const chunk = Buffer.isBuffer(text) ? text : Buffer.from(text);
      scanner.push(chunk);
      released.push(scanner.takeReleasable(chunk).toString());
    };
    feed("first line\n");
    expect(released).toEqual(["first line\n"]); // nothing held back: "\n" cannot start the marker
    feed("partial __s");
    expect(released[1]).toBe("partial "); // "__s" may be the marker's start
    feed("o it was not\n");
    expect(released[2]).toBe("__so it was not\n");
    const wire = Buffer.concat([Buffer.from("tail"), prefix, Buffer.from("000:0\n")]);
    feed(wire.subarray(0, 10));
    feed(wire.subarray(10));
    expect(released.join("")).toBe("first line\npartial __so it was not\ntail");
    expect(scanner.done!.output.toString()).toBe(released.join(""));
  });

  it("keeps at most the output cap and still finds the marker", () => {
    const scanner = new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH, 1000);
    for (let i = 0; i < 100; i++) scanner.push(Buffer.alloc(100, 0x61));
    scanner.push(Buffer.concat([prefix, Buffer.from("000:0\n")]));
    expect(scanner.done!.output.length).toBe(1000);
    expect(scanner.done!.droppedBytes).toBeGreaterThan(8000);
  });

  it("handles 20 MB in 64 KiB chunks in linear time", () => {
    const scanner = new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH);
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const started = performance.now();
    for (let i = 0; i < 320; i++) scanner.push(chunk);
    scanner.push(Buffer.concat([prefix, Buffer.from("000:0\n")]));
    expect(scanner.done!.output.length).toBe(320 * 64 * 1024);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("shell programs", () => {
  it("quotes words so the shell passes them through unchanged", () => {
    const words = ["plain", "it's", "$HOME", "`id`", "a b\nc", "\\", "'\"'", "--", "*"];
    const printed = execFileSync("sh", ["-c", `printf '%s\\0' ${words.map(shellQuote).join(" ")}`]);
    expect(printed.toString().split("\0").slice(0, -1)).toEqual(words);
  });

  it("runs argv with env, cwd and stdin and frames both streams with the exit code", () => {
    const nonce = newNonce();
    const program = renderExecProgram({
      nonce,
      argv: ["sh", "-c", 'pwd; printf "%s|" "$GREETING"; cat; echo oops >&2; exit 7'],
      env: { GREETING: "hello 'world' $x" },
      cwd: "/",
      stdin: Buffer.from("line1\nline2 % \\ ' é"),
      scratchDir: "/tmp",
      capabilities: { base64: true },
    });
    const { stdout } = runInLocalShell(program);
    const text = stdout.toString("utf8");
    expect(text).toBe(`/\nhello 'world' $x|line1\nline2 % \\ ' é${markerPrefix(nonce)}007:0\n`);
  });

  it("writes files with printf for small text and base64 for binary content", () => {
    const dir = `/tmp/sf-unit-put-${process.pid}`;
    const binary = Buffer.from([0, 1, 2, 255, 37, 92, 39, 10]);
    for (const content of [Buffer.from("small text 100% \\n 'q'"), binary, Buffer.alloc(2 * 1024 * 1024, 0x41)]) {
      const nonce = newNonce();
      const { stdout } = runInLocalShell(
        renderPutFileProgram(nonce, `${dir}/sub/file.bin`, content, 0o600, { base64: true }) + `cat ${dir}/sub/file.bin; rm -rf ${dir}\n`,
      );
      const marker = Buffer.from(`${markerPrefix(nonce)}000:0\n`);
      expect(stdout.subarray(0, marker.length).equals(marker)).toBe(true);
      expect(stdout.subarray(marker.length).equals(content)).toBe(true);
    }
  });
});

describe("single-file tar for putArchive", () => {
  it("holds the missing parent directories and the file, readable by tar", async () => {
    const { singleFileTar } = await import("../../../runtime/docker/single-file-tar");
    const archive = singleFileTar("a/b/file.txt", Buffer.from("tar content"), 0o600);
    const listing = execFileSync("tar", ["-tvf", "-"], { input: archive }).toString();
    expect(listing).toMatch(/^drwxr-xr-x .* a\/$/m);
    expect(listing).toMatch(/^drwxr-xr-x .* a\/b\/$/m);
    expect(listing).toMatch(/^-rw------- .* 11 .* a\/b\/file.txt$/m);
    expect(execFileSync("tar", ["-xOf", "-", "a/b/file.txt"], { input: archive }).toString()).toBe("tar content");
  });
});
