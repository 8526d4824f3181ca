// Prints one group of native/sources.json, space-separated, for binding.gyp's <!@(...) expansion.
'use strict';
const path = require('path');
const list = require('./sources.json');
const group = process.argv[2];
if (!(group in list) || group === 'comment') {
  process.stderr.write(`native/sources.js: unknown group '${group}'\n`);
  process.exit(1);
}
const value = group === 'flags' ? list.flags[process.argv[3]] : list[group];
// gyp resolves sources relative to binding.gyp, which sits at the package root.
process.stdout.write(value.map((p) => p.split('/').join(path.sep === '\\' && group !== 'flags' ? '\\' : '/')).join(' '));
