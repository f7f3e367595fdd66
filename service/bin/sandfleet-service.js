#!/usr/bin/env node
// sandfleet-service --config FILE: the sandbox service's process (what the platform's systemd unit runs).
// SIGHUP re-reads the TLS certificates and keys (the default one and those chosen by SNI) and the registry file; SIGTERM/SIGINT close gracefully (leases ended, sandboxes destroyed), exit 0.
// The sources are TypeScript; tsx compiles them on the fly (no build step on the platform).
"use strict";
require("tsx/cjs");
const { startService } = require("../main.ts");
const { readServiceConfigFile } = require("../config.ts");

const usage = "usage: sandfleet-service --config FILE\n";
const args = process.argv.slice(2);
const at = args.indexOf("--config");
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(usage);
  process.exit(0);
}
if (at < 0 || !args[at + 1]) {
  process.stderr.write(`sandfleet-service: --config FILE is required\n${usage}`);
  process.exit(2);
}
const log = (line) => process.stderr.write(`sandfleet-service: ${line}\n`);

(async () => {
  const service = await startService(readServiceConfigFile(args[at + 1]));
  log(`listening on ${service.url} (registry ${service.config.registryFile}, data ${service.config.dataDir})`);
  process.on("SIGHUP", () => {
    // The certificate first (a renewed one is installed, then the unit reloaded): synchronous, never fatal.
    try {
      const tls = service.reloadTls();
      const named = Object.entries(tls.byServerName).map(([name, notAfter]) => `, ${name}: until ${notAfter}`).join("");
      log(`tls reloaded: certificate valid until ${tls.notAfter}${named}`);
    } catch (err) {
      log(`tls reload failed, keeping the previous certificate: ${err.message}`);
    }
    service.reloadRegistry().then(
      (r) => log(`registry reloaded: ${JSON.stringify(r)}`),
      (err) => log(`registry reload failed, keeping the previous one: ${err.message}`),
    );
  });
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: closing`);
      service.close().then(
        () => process.exit(0),
        (err) => {
          log(`close failed: ${err.stack || err}`);
          process.exit(1);
        },
      );
    });
  }
})().catch((err) => {
  log(err && err.message ? err.message : String(err));
  process.exit(1);
});
