#!/usr/bin/env node
// The operator CLI. The sources are TypeScript; tsx compiles them on the fly (no build step for operators).
"use strict";
require("tsx/cjs");
const { main } = require("../cli/main.ts");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`sandfleet: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
