// Lint Neo4j Cypher statements with Neo4j's own linter (@neo4j-cypher/language-support, lintCypherQuery).
//
// Input (a file named as the first argument, or stdin): JSON
//   {"labels": [...], "relationshipTypes": [...], "propertyKeys": [...],
//    "statements": [{"name": "...", "text": "...", "parameters": {"name": exampleValue, ...}}]}
// Output (stdout): JSON [{"name": "...", "diagnostics": [{"severity", "message", "line", "character"}]}]
// Exit status: 0 when no statement has a diagnostic, 1 when some have, 2 when the input is unusable.
//
// Functions and procedures are declared as Neo4j 5's built-ins only (taken from the function and procedure
// listing the package ships for its own tests), so a function Neo4j lacks, such as LadybugDB's label(), or a
// plugin's (apoc, gds) is reported. Everything runs as Cypher 5 (Neo4j 5 servers).
import { readFileSync } from 'node:fs';
import { lintCypherQuery } from '@neo4j-cypher/language-support';

// not in the package's exports: loaded by path (the version is pinned in package-lock.json)
const { testData } = await import(new URL(
  './node_modules/@neo4j-cypher/language-support/dist/esm/project/language-support/src/tests/testData.js',
  import.meta.url));

const VERSION = 'CYPHER 5';

function builtIns(registry) {
  const out = {};
  for (const [version, entries] of Object.entries(registry)) {
    out[version] = Object.fromEntries(Object.entries(entries).filter(([name, fn]) =>
      fn.isBuiltIn !== false && !name.startsWith('apoc.') && !name.startsWith('gds.')));
  }
  return out;
}

function main() {
  let input;
  try {
    input = JSON.parse(readFileSync(process.argv[2] ?? 0, 'utf8'));
  } catch (e) {
    console.error(`cypher-lint: cannot read the input JSON: ${e.message}`);
    return 2;
  }
  const base = {
    labels: input.labels ?? [],
    relationshipTypes: input.relationshipTypes ?? [],
    propertyKeys: input.propertyKeys ?? [],
    functions: builtIns(testData.mockSchema.functions),
    procedures: builtIns(testData.mockSchema.procedures),
    defaultLanguage: VERSION,
  };
  const report = [];
  let failed = false;
  for (const statement of input.statements ?? []) {
    const schema = { ...base, parameters: statement.parameters ?? {} };
    const { diagnostics } = lintCypherQuery(statement.text, schema);
    const found = diagnostics.map((d) => ({
      severity: d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info',
      message: d.message,
      line: d.range.start.line + 1,
      character: d.range.start.character + 1,
    }));
    failed ||= found.length > 0;
    report.push({ name: statement.name, diagnostics: found });
  }
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return failed ? 1 : 0;
}

process.exitCode = main();
