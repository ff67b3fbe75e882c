// Build time only (make build; never imported by the agent or the bridge): the configuration
// schema's validator as ajv standalone code, written to config-validator.generated.js. Loading ajv
// and compiling the schema at start cost the agent 27 MB of RSS (docs/benchmarks.md, issue 12);
// the generated module needs neither ajv nor code generation at run time.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, Name, _, type KeywordCxt } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';

import { CONFIG_SCHEMA } from './schema.js';
import { FORMATS, KEYWORD_CHECKS } from './schema-keywords.js';

/** The committed module (test/config/validator.test.ts checks it is what this file generates now). */
export const VALIDATOR_FILE = fileURLToPath(new URL('./config-validator.generated.js', import.meta.url));

/** The data type each checking keyword applies to (ajv skips it for other types). */
const KEYWORD_TYPES: Record<keyof typeof KEYWORD_CHECKS, 'string' | 'integer'> = {
  'x-min-ms': 'string',
  'x-max-ms': 'string',
  'x-power-of-two': 'integer',
  'x-format': 'string',
  'x-file': 'string',
};

/** How the generated module names schema-keywords.ts, which it imports. */
const KEYWORDS_MODULE = 'schemaKeywords';

/** The generated module's text: `validate`, an ajv validate function (its `errors` as ajv's). */
export function validatorModule(): string {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: true,
    useDefaults: true,
    strict: true,
    strictRequired: false,
    formats: FORMATS,
    // Standalone code reaches functions through code that evaluates to them (ajv's docs,
    // "Standalone validation code"): here the module's import of schema-keywords.ts.
    code: { source: true, esm: true, lines: true, formats: _`${new Name(KEYWORDS_MODULE)}.FORMATS` },
  });
  // Annotations: read by readVariables and checkBeyondSchema, nothing to validate.
  ajv.addKeyword({ keyword: 'x-aliases' });
  ajv.addKeyword({ keyword: 'x-secret' });
  for (const [keyword, type] of Object.entries(KEYWORD_TYPES) as [keyof typeof KEYWORD_CHECKS, 'string' | 'integer'][]) {
    ajv.addKeyword({
      keyword,
      type,
      // A code keyword (standalone supports no `validate` function): a call of the check.
      code(cxt: KeywordCxt) {
        const check = cxt.gen.scopeValue('keyword', { ref: KEYWORD_CHECKS[keyword], code: _`${new Name(KEYWORDS_MODULE)}.KEYWORD_CHECKS[${keyword}]` });
        cxt.fail(_`!${check}(${cxt.schemaCode}, ${cxt.data})`);
      },
    });
  }
  // ajv's run-time helpers (ucs2length, for minLength) come as require() calls, which an ES module
  // does not have: imported instead (each a small file of ajv/dist/runtime, not ajv itself).
  const imports: string[] = [];
  const code = standalone.default(ajv, ajv.compile(CONFIG_SCHEMA)).replace(/require\("(ajv\/dist\/runtime\/\w+)"\)/g, (_call, path: string) => {
    const name = `ajvRuntime${imports.length}`;
    imports.push(`import ${name} from '${path}.js';`);
    return name;
  });
  if (code.includes('require(')) throw new Error(`the generated validator requires a module it cannot import: ${/require\([^)]*\)/.exec(code)![0]}`);
  return [
    '// Generated from schemas/config.schema.json by src/config/validator-build.ts (make build): do not edit.',
    `import * as ${KEYWORDS_MODULE} from './schema-keywords.js';`,
    ...imports,
    code,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(VALIDATOR_FILE, validatorModule());
