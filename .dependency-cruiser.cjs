/**
 * Layering rules (STYLE.md "Dependencies point one way"); `npm test` fails on a violation.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds the program rules as pure functions and types: it imports no other layer.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(?!domain/)' },
    },
    {
      name: 'fhir-engine-is-generic',
      comment: 'fhir/ never imports auth, apis, http, the app, the domain or an adapter: it receives an Access value and the store port.',
      severity: 'error',
      from: { path: '^src/fhir/' },
      to: { path: '^src/(auth|apis|http|domain|synthetic|store/(embedded|mongodb))/|^src/(app|main|server|config)\\.ts$' },
    },
    {
      name: 'adapters-only-know-the-port',
      comment: 'A store adapter imports only the ports (resources, documents) and the filter guard (and its own folder).',
      severity: 'error',
      from: { path: '^src/store/(embedded|mongodb)/' },
      to: { path: '^src/(?!store/(port|document-port|bulk-file-port|filter-guard)\\.ts$|store/(embedded|mongodb)/)' },
    },
    {
      name: 'only-composition-names-adapters',
      comment: 'Only the composition root (server.ts / main.ts) and scripts name a store adapter.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(server|main)\\.ts$|^src/store/(embedded|mongodb)/' },
      to: { path: '^src/store/(embedded|mongodb)/' },
    },
    {
      name: 'apis-do-not-import-each-other',
      comment: 'apis/<x> never imports apis/<y>: what two APIs share moves down a layer.',
      severity: 'error',
      from: { path: '^src/apis/([^/]+)/' },
      to: { path: '^src/apis/', pathNot: '^src/apis/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
