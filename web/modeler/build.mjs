// Builds the browser modeler (web/modeler/static/build/, git-ignored) from npm packages.
//
// Run by `make assets` after `npm ci`: bundles our sources under web/modeler/static/js with
// bpmn-js's Modeler, bpmn-js-properties-panel and bpmn-js-bpmnlint into one script and one
// stylesheet; the diff page (static/js/diff.js: NavigatedViewer and bpmn-js-differ) into
// its own. bpmnlint resolves its rules with require() at run time, which a browser cannot
// do, so its configuration (web/modeler/bpmnlintrc.json) is compiled by bpmnlint's own
// compileConfig into a module that imports every enabled rule — what bpmnlint-loader does
// for webpack — and handed to esbuild as the virtual module "lexflow:bpmnlint-config".
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const require = createRequire(path.join(root, "package.json"));
const compileConfig = require("bpmnlint/lib/support/compile-config");

const lintConfig = {
  name: "lexflow-bpmnlint-config",
  setup(build) {
    build.onResolve({ filter: /^lexflow:bpmnlint-config$/ }, () => ({
      path: "bpmnlint-config",
      namespace: "lexflow",
    }));
    build.onLoad({ filter: /.*/, namespace: "lexflow" }, async () => {
      const config = JSON.parse(await readFile(path.join(here, "bpmnlintrc.json"), "utf8"));
      return { contents: await compileConfig(config), loader: "js", resolveDir: root };
    });
  },
};

const outdir = path.join(here, "static", "build");
await esbuild.build({
  entryPoints: {
    modeler: path.join(here, "static", "js", "modeler.js"),
    "model-diff": path.join(here, "static", "js", "diff.js"),
    "modeler-styles": path.join(here, "static", "css", "vendor.css"),
  },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["es2020"],
  legalComments: "linked",
  jsx: "automatic",
  jsxImportSource: "@bpmn-io/properties-panel/preact",
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".eot": "dataurl", ".svg": "dataurl" },
  alias: {
    react: "@bpmn-io/properties-panel/preact/compat",
    "react-dom": "@bpmn-io/properties-panel/preact/compat",
  },
  plugins: [lintConfig],
  logLevel: "warning",
  absWorkingDir: root,
});
console.log(`modeler bundle written to ${path.relative(root, outdir)}/`);
