#!/usr/bin/env node
// npm's install hook. Uses the prebuilt binary when one loads on this machine
// (through the same loader as at run time, so the serial fallback for a missing
// OpenMP runtime counts), and builds from source (node-gyp) otherwise, or always
// with --build-from-source / npm_config_build_from_source=true.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const loader = path.join(root, 'dist', 'binding.js');
const fromSource = /^(1|true)$/i.test(process.env.npm_config_build_from_source || '');

function prebuiltLoads() {
  if (!fs.existsSync(loader)) return false; // a source checkout: nothing compiled yet
  const res = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(loader)})`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (res.status !== 0 && process.env.npm_config_loglevel === 'verbose') process.stderr.write(res.stderr);
  return res.status === 0;
}

if (!fromSource && prebuiltLoads()) process.exit(0);

// npm exports the path of its own node-gyp; fall back to one on PATH.
const nodeGyp = process.env.npm_config_node_gyp;
const res = nodeGyp
  ? spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: root, stdio: 'inherit' })
  : spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: true });
if (res.status !== 0) {
  const where = `${process.platform}-${process.arch} (Node ${process.version}, N-API ${process.versions.napi})`;
  const shipped = (() => {
    try {
      return fs.readdirSync(path.join(root, 'prebuilds')).join(', ') || 'none';
    } catch {
      return 'none';
    }
  })();
  process.stderr.write(
    `\ngradwell: no prebuilt binary loads on ${where} (this package has prebuilt binaries for: ${shipped}),\n` +
      `and building from source failed (see the node-gyp output above).\n` +
      `To build from source, install a C++17 compiler, python3 and make (Debian/Ubuntu: 'apt-get install g++ make python3';\n` +
      `macOS: 'xcode-select --install'; Windows: Visual Studio Build Tools with the C++ workload), then run 'npm rebuild gradwell'.\n`,
  );
  process.exit(res.status || 1);
}
