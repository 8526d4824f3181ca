// Prints the compile or link flags of the system's MPI for binding.gyp:
// `node flags.js compile|link`. Tries Open MPI's wrapper (mpicc --showme:*),
// MPICH's (mpicc -compile_info / -link_info), then pkg-config (ompi, mpich, mpi).
'use strict';
const { execFileSync } = require('child_process');

const what = process.argv[2];
if (what !== 'compile' && what !== 'link') {
  process.stderr.write('native/mpi/flags.js: expected "compile" or "link"\n');
  process.exit(1);
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

function fromWrapper() {
  const wrapper = process.env.MPICC || 'mpicc';
  const openmpi = run(wrapper, [what === 'compile' ? '--showme:compile' : '--showme:link']);
  if (openmpi !== null) return openmpi;
  const mpich = run(wrapper, [what === 'compile' ? '-compile_info' : '-link_info']);
  if (mpich !== null) return mpich.split(/\s+/).slice(1).filter((f) => f !== '-c').join(' '); // drop the compiler name
  return null;
}

function fromPkgConfig() {
  for (const pkg of ['ompi-c', 'ompi', 'mpich', 'mpi']) {
    const out = run('pkg-config', [what === 'compile' ? '--cflags' : '--libs', pkg]);
    if (out !== null) return out;
  }
  return null;
}

const flags = fromWrapper() ?? fromPkgConfig();
if (flags === null) {
  process.stderr.write(
    'gradwell: no MPI found (neither mpicc nor pkg-config knows one). Install Open MPI ' +
      '(Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; Fedora: dnf install openmpi-devel) ' +
      'or MPICH, then run npm run build:mpi again.\n',
  );
  process.exit(1);
}
process.stdout.write(flags.split(/\s+/).filter(Boolean).join(' '));
