// Builds ../static/dashboard.js and ../static/dashboard.css from src/ (npm run build).
//
// The output must be the same bytes for the same sources and package-lock.json (tests/ui/test_bundle.py
// rebuilds it in a temporary copy and compares): no timestamps, no absolute paths, no source maps.
// The licences of the bundled packages go at the end of the script, in full (their files, not their banners:
// the banners carry web addresses, and the built files must name no other host).
import { build } from "esbuild";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static");
const common = {
  absWorkingDir: here,
  bundle: true,
  minify: true,
  charset: "utf8",
  legalComments: "none",
  logLevel: "warning",
  write: false,
  outdir: out,
};

/** The packages under node_modules that the bundle holds code of, with their licence texts. */
function licences(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) packages.add(match[1]);
  }
  return [...packages].sort().map((name) => {
    const folder = join(here, "node_modules", name);
    const { version, license } = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
    const file = readdirSync(folder).find((entry) => /^licen[cs]e/i.test(entry));
    if (!file) throw new Error(`${name} has no licence file: say where its licence is before bundling it`);
    const text = readFileSync(join(folder, file), "utf8").trim().replaceAll("*/", "* /");
    return `${name} ${version} (${license}):\n\n${text}`;
  });
}

function save(result, footer = "") {
  for (const file of result.outputFiles) {
    const text = (file.text.endsWith("\n") ? file.text : `${file.text}\n`) + footer;
    writeFileSync(file.path, text);
    console.log(`${relative(here, file.path)}: ${Buffer.byteLength(text)} bytes`);
  }
}

const script = await build({
  ...common,
  entryPoints: { dashboard: "src/main.ts" },
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  metafile: true,
});
const notices = licences(script.metafile);
save(script, notices.length ? `/*! Bundled packages and their licences.\n\n${notices.join("\n\n")}\n*/\n` : "");

save(
  await build({
    ...common,
    entryPoints: { dashboard: "src/dashboard.css" },
    target: ["chrome100", "firefox100", "safari15"],
  }),
);
