// Writes profiles/profile.schema.json from the zod schema in src/config/profile.ts
// (run after `npm run build`). A unit test checks the file is up to date.
import { writeFileSync } from 'node:fs';
import { profileJsonSchema } from '../dist/src/config/profile.js';

writeFileSync(new URL('../profiles/profile.schema.json', import.meta.url), JSON.stringify(profileJsonSchema(), null, 2) + '\n');
console.log('wrote profiles/profile.schema.json');
