// make lint: typescript-eslint's recommended rules for the TypeScript and JavaScript we own.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // *.generated.js: written by a tool (src/config/validator-build.ts), not by us.
  { ignores: ['dist/', 'build/', 'native/', 'node_modules/', 'src/**/*.generated.js'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'bin/**/*.js', 'test/**/*.mjs'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    // The plain .js/.mjs scripts run on Node (TypeScript files get their globals from @types/node).
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' } },
    rules: {
      // `const { a, ...rest } = x` is how a field is left out of a copy; `_name` marks a parameter
      // a signature needs and the body does not.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The few `any` are records of validated or parsed JSON read field by field (the config values
      // ajv checked against the schema, Kubernetes manifests, log lines): typing them would restate
      // the schema. tsc's strict mode covers the rest.
      '@typescript-eslint/no-explicit-any': 'off',
      // A variable a callback reads before the one assignment that follows it (the agent's
      // aggregator, created after the capture whose overflow callback flushes it) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
);
