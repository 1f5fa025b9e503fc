// Writes index.d.ts: the TypeScript types of every schema in the bundle that
// `cargo run -p xtask -- schemas` builds from schemas/*.schema.json.
//
//   node generate.cjs <bundle.json> <out.d.ts>
//
// The bundle holds every type under $defs; each becomes one exported type,
// named as in the schemas (and as in the Rust client).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { compile } = require(path.join(__dirname, "node_modules", "json-schema-to-typescript"));

async function main() {
  const [bundlePath, outPath, banner] = process.argv.slice(2);
  if (!bundlePath || !outPath) {
    console.error("usage: node generate.cjs <bundle.json> <out.d.ts> [banner]");
    process.exit(2);
  }
  const bundle = JSON.parse(fs.readFileSync(bundlePath, "utf8"));
  const defs = bundle.$defs;
  for (const [name, schema] of Object.entries(defs)) {
    // json-schema-to-typescript names a type by its title: use the
    // definition's name, as the Rust client does.
    schema.title = name;
    visit(schema, adapt);
  }
  // A root that reaches every definition, so each is emitted exactly once;
  // the root's own declaration is then dropped.
  const rootName = "BattleScopeSchemasRoot";
  const root = {
    title: rootName,
    $defs: defs,
    anyOf: Object.keys(defs).map((name) => ({ $ref: `#/$defs/${name}` })),
  };
  let ts = await compile(root, rootName, {
    bannerComment: banner || "",
    additionalProperties: false,
    strictIndexSignatures: true,
    unknownAny: true,
    format: true,
    style: { printWidth: 100, singleQuote: false },
  });
  const declaration = new RegExp(`^export type ${rootName} =[^;]*;\\n`, "m");
  if (!declaration.test(ts)) {
    throw new Error(`the declaration of ${rootName} was not found in the output`);
  }
  ts = ts.replace(declaration, "");
  fs.writeFileSync(outPath, ts);
}

/** Apply `f` to every subschema of `schema` (objects inside it), depth first. */
function visit(schema, f) {
  if (Array.isArray(schema)) {
    schema.forEach((s) => visit(s, f));
  } else if (schema && typeof schema === "object") {
    Object.values(schema).forEach((s) => visit(s, f));
    f(schema);
  }
}

/**
 * Two adaptations to what json-schema-to-typescript reads:
 * - A `$ref` with sibling keywords (a property's own description) would be
 *   declared as a new numbered copy of the type (`Battle1`): keep the `$ref`.
 * - An object whose keys are constrained by `propertyNames: {$ref}` (counts
 *   per ship class) is typed as a partial record over those keys.
 */
function adapt(schema) {
  if (typeof schema.$ref === "string") {
    for (const key of Object.keys(schema)) {
      if (key !== "$ref") delete schema[key];
    }
  }
  const names = schema.propertyNames;
  const values = schema.additionalProperties;
  if (names && typeof names.$ref === "string" && values && typeof values === "object") {
    const key = names.$ref.split("/").pop();
    const value = values.type === "integer" || values.type === "number" ? "number" : null;
    if (value) schema.tsType = `Partial<Record<${key}, ${value}>>`;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
