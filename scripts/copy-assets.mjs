// Copies the JSON and CSS assets that live beside the TypeScript sources into dist/ after tsc.
import { cpSync, existsSync } from 'node:fs';
const assets = ['src/fhir/search/definitions', 'src/web/assets'];
for (const a of assets) if (existsSync(a)) cpSync(a, `dist/${a}`, { recursive: true });
