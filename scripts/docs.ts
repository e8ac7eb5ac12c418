/** `npm run docs`: regenerates .env.example and README's configuration and error tables from the code. */
import { readFileSync, writeFileSync } from 'node:fs';
import { DOC_FILES, relativeToRepo, renderEnvExample, renderReadme } from './lib/config-docs.ts';

writeFileSync(DOC_FILES.envExample, renderEnvExample());
writeFileSync(DOC_FILES.readme, renderReadme(readFileSync(DOC_FILES.readme, 'utf8')));
console.log(`docs: wrote ${relativeToRepo(DOC_FILES.envExample)} and the tables in ${relativeToRepo(DOC_FILES.readme)}`);
