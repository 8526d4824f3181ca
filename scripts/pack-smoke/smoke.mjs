// import of the installed package: named exports (found by Node's CJS lexer) and the default.
import gwDefault, { backend, kernels } from 'gradwell';
import * as gw from 'gradwell';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
if (typeof backend !== 'function' || typeof kernels !== 'object') throw new Error('named ESM exports missing');
if (gwDefault.backend !== backend) throw new Error('default export differs from the named exports');
await require('./checks.cjs').runChecks('import', gw);
