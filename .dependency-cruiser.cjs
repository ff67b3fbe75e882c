// The stage rule of docs/architecture.md, checked by `make lint` (part of `make test`): each folder
// of src/ imports from src/ only the folders listed for it (node built-ins and npm packages are free).
// Type-only imports count too: they tie a stage to another's definitions just the same.
const mayImport = {
  model: [],
  config: ['model'],
  runtime: ['model', 'config'],
  native: ['model', 'config', 'runtime'],
  capture: ['model', 'config', 'runtime', 'native'],
  aggregate: ['model', 'config', 'runtime', 'capture'],
  encode: ['model', 'config', 'runtime'],
  export: ['model', 'config', 'runtime', 'encode'],
  agent: ['model', 'config', 'runtime', 'native', 'capture', 'aggregate', 'encode', 'export'],
  collector: ['model', 'config', 'runtime', 'encode'],
  bridge: ['model', 'config', 'runtime', 'encode', 'export', 'collector'],
};
const stages = Object.keys(mayImport);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...stages.map((stage) => ({
      name: `stage-${stage}`,
      comment: `src/${stage} may import only ${mayImport[stage].length ? mayImport[stage].join(', ') : 'nothing'} from src (docs/architecture.md)`,
      severity: 'error',
      from: { path: `^src/${stage}/` },
      to: { path: '^src/', pathNot: `^src/(${[stage, ...mayImport[stage]].join('|')})/` },
    })),
    {
      name: 'no-unknown-stage',
      comment: `every file of src is in one of the stage folders (${stages.join(', ')}): a new folder needs its row in the table`,
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${stages.join('|')})/` },
      to: {},
    },
    {
      name: 'no-unknown-stage-orphan',
      comment: 'the same for a file that imports nothing and is imported by nothing',
      severity: 'error',
      from: { orphan: true, path: '^src/', pathNot: `^src/(${stages.join('|')})/` },
      to: {},
    },
    { name: 'no-circular', comment: 'no import cycles, within a stage or across', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing would hide a dependency from the rules above',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve npm packages as Node's ESM loader does (some export only an `import` condition).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
