// Crash-safe file writes.
//
// writeFileAtomic: temp file in the same directory -> write -> fsync -> rename over the target
// -> fsync the directory. rename() within one filesystem is atomic, so a reader (or a reboot)
// sees either the old file or the complete new one.
//
// writeDirAtomic: several files that must stay consistent with each other (model.json +
// weights.safetensors). Choice: a small manifest file is the single commit point.
//   1. each file is written under a fresh generation name (weights.g<16 hex>.safetensors),
//      fsynced; then the directory is fsynced so those entries are durable;
//   2. manifest.json (logical name -> generation file, size, sha256) is replaced with
//      writeFileAtomic: that rename is the commit;
//   3. generation files the new manifest does not name are deleted.
// A crash before 2 leaves the old manifest pointing at the old, untouched files; after 2
// the new manifest points at complete, fsynced files. Never a mix. Stale generation files
// and temp files left by a crash are deleted at the start of the next save (only names in our
// own patterns, never other files). The alternative, writing a new directory and swapping it
// in with two renames, has a moment where the directory does not exist (Node has no
// renameat2(RENAME_EXCHANGE)), and symlink swapping needs privileges on Windows.
// Readers go through readDirAtomic/resolveDirFiles; sha256 in the manifest also catches
// files corrupted later. Two processes saving into the same directory at once is not
// supported (the last manifest wins; the other's files are removed as stale).

import { createHash, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

export const MANIFEST_NAME = 'manifest.json';
const MANIFEST_FORMAT = 'gradwell-dir';
const GENERATION_RE = /\.g[0-9a-f]{16}(?=\.|$)/;
const TEMP_RE = /^\..+\.tmp-[0-9a-f]{16}$/;
const LOGICAL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;

export type FileData = Uint8Array | string;

/** Stages at which writeDirAtomic calls its test hook (to simulate failures). */
export type SaveStage = 'cleaned' | 'file-written' | 'files-synced' | 'committed';

export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    // Windows cannot open or fsync a directory; its rename is durable enough there.
    const code = (e as NodeJS.ErrnoException).code;
    if (!(process.platform === 'win32' && (code === 'EPERM' || code === 'EISDIR' || code === 'EBADF' || code === 'EACCES'))) throw e;
  } finally {
    await fh?.close();
  }
}

function checkData(op: string, data: unknown): asserts data is FileData {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new TypeError(`${op}: data must be a Uint8Array or string, received ${data === null ? 'null' : typeof data}`);
  }
}

async function writeAndSync(file: string, data: FileData, flags: string): Promise<void> {
  const fh = await fsp.open(file, flags, 0o666);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// On Windows, renaming over a file that another process (a reader, an antivirus scanner)
// has open fails transiently with EPERM/EACCES/EBUSY; retry briefly there, as graceful-fs does.
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.rename(from, to);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const transient = process.platform === 'win32' && (code === 'EPERM' || code === 'EACCES' || code === 'EBUSY');
      if (!transient || attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
    }
  }
}

/** Atomically replaces `target` with `data` (see the top of this file). */
export async function writeFileAtomic(target: string, data: FileData): Promise<void> {
  if (typeof target !== 'string' || target === '') throw new TypeError('writeFileAtomic: path must be a non-empty string');
  checkData('writeFileAtomic', data);
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.tmp-${randomBytes(8).toString('hex')}`);
  try {
    await writeAndSync(tmp, data, 'wx');
    await renameWithRetry(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
}

export interface ManifestEntry {
  file: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  generation: string;
  files: Record<string, ManifestEntry>;
}

function generationFileName(logical: string, generation: string): string {
  const dot = logical.lastIndexOf('.');
  return dot > 0 ? `${logical.slice(0, dot)}.${generation}${logical.slice(dot)}` : `${logical}.${generation}`;
}

// `op` names the public call in messages (loadModel, model.save); the default names this module.
function parseManifest(dir: string, text: string, op: string): Manifest {
  const where = `${op}(${dir}): corrupt save: ${path.join(dir, MANIFEST_NAME)}`;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where} is not valid JSON (${(e as Error).message})`);
  }
  const obj = m as Partial<Manifest>;
  if (typeof m !== 'object' || m === null || obj.format !== MANIFEST_FORMAT || obj.version !== 1 ||
      typeof obj.files !== 'object' || obj.files === null || typeof obj.generation !== 'string') {
    throw new Error(`${where} is not a ${MANIFEST_FORMAT} version 1 manifest`);
  }
  for (const [name, e] of Object.entries(obj.files)) {
    if (!LOGICAL_NAME_RE.test(name) || typeof e !== 'object' || e === null ||
        typeof e.file !== 'string' || path.basename(e.file) !== e.file || !GENERATION_RE.test(e.file) ||
        typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0 ||
        typeof e.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new Error(`${where} has a bad entry for '${name}'`);
    }
  }
  return obj as Manifest;
}

async function readManifest(dir: string, op: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, MANIFEST_NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseManifest(dir, text, op);
}

/**
 * Why `dir` cannot be read as a saved directory, before looking inside: it does not exist, or is
 * not a directory. Throws an Error naming `op` and the path; returns when `dir` is a directory.
 */
export async function checkDirExists(dir: string, op: string): Promise<void> {
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw Object.assign(new Error(`${op}(${dir}): the directory does not exist (${path.resolve(dir)})`), { code });
    if (code === 'ENOTDIR') throw Object.assign(new Error(`${op}(${dir}): not a directory (a part of the path is a file)`), { code });
    throw Object.assign(new Error(`${op}(${dir}): cannot read it (${(e as Error).message})`), { code });
  }
  if (!st.isDirectory()) throw Object.assign(new Error(`${op}(${dir}): not a directory (it is a file)`), { code: 'ENOTDIR' });
}

function noManifest(dir: string, op: string): Error {
  return new Error(
    `${op}(${dir}): not a gradwell model directory (no ${MANIFEST_NAME}: it was not written by model.save, ` +
      'or its first save never finished)',
  );
}

/** Deletes our temp files and the generation files `keep` does not name. */
async function removeStale(dir: string, keep: Set<string> | 'all-generations'): Promise<void> {
  for (const name of await fsp.readdir(dir)) {
    const stale = TEMP_RE.test(name) || (keep !== 'all-generations' && GENERATION_RE.test(name) && !keep.has(name));
    if (stale) await fsp.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}

/**
 * Atomically replaces the set of files in model directory `dir` (created if missing):
 * after it resolves, readDirAtomic(dir) returns exactly `files`; if it fails or the process
 * dies, readDirAtomic returns the previous set intact.
 */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, FileData>,
  testHook?: (stage: SaveStage) => void | Promise<void>,
  op = 'writeDirAtomic',
): Promise<Manifest> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('writeDirAtomic: dir must be a non-empty string');
  if (typeof files !== 'object' || files === null) throw new TypeError('writeDirAtomic: files must be an object {name: data}');
  const names = Object.keys(files);
  for (const name of names) {
    if (!LOGICAL_NAME_RE.test(name) || name === MANIFEST_NAME || GENERATION_RE.test(name)) {
      throw new RangeError(`writeDirAtomic: bad file name '${name}' (letters, digits, '_', '-', '.'; not '${MANIFEST_NAME}')`);
    }
    checkData(`writeDirAtomic: file '${name}'`, files[name]);
  }
  let firstCreated: string | undefined;
  try {
    firstCreated = await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'not a directory (it, or a part of the path, is a file)' : `cannot create the directory (${(e as Error).message})`;
    throw Object.assign(new Error(`${op}(${dir}): ${why}`), { code });
  }
  // A directory created here is durable only once its parent's entry is.
  if (firstCreated !== undefined) await fsyncDir(path.dirname(path.resolve(firstCreated)));

  // Stale files of a crashed save. If the current manifest is unreadable, keep every
  // generation file: they may be all that is left of the last good save.
  let current: Manifest | null = null;
  let manifestReadable = true;
  try {
    current = await readManifest(dir, op);
  } catch {
    manifestReadable = false;
  }
  await removeStale(dir, manifestReadable ? new Set(Object.values(current?.files ?? {}).map((e) => e.file)) : 'all-generations');
  await testHook?.('cleaned');

  const generation = `g${randomBytes(8).toString('hex')}`;
  const manifest: Manifest = { format: MANIFEST_FORMAT, version: 1, generation, files: {} };
  const written: string[] = [];
  try {
    for (const name of names) {
      const data = files[name];
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const file = generationFileName(name, generation);
      written.push(file);
      await writeAndSync(path.join(dir, file), bytes, 'wx');
      manifest.files[name] = { file, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
      await testHook?.('file-written');
    }
    await fsyncDir(dir);
    await testHook?.('files-synced');
    await writeFileAtomic(path.join(dir, MANIFEST_NAME), JSON.stringify(manifest, null, 1) + '\n');
  } catch (e) {
    for (const file of written) await fsp.rm(path.join(dir, file), { force: true }).catch(() => undefined);
    throw e;
  }
  await testHook?.('committed');
  // The previous generation is garbage now; failing to delete it only wastes space.
  await removeStale(dir, new Set(written)).catch(() => undefined);
  return manifest;
}

/** Paths of the files of the current save in `dir` (logical name -> absolute path), unverified. */
export async function resolveDirFiles(dir: string, op = 'resolveDirFiles'): Promise<Map<string, string>> {
  await checkDirExists(dir, op);
  const m = await readManifest(dir, op);
  if (!m) throw noManifest(dir, op);
  return new Map(Object.entries(m.files).map(([name, e]) => [name, path.join(path.resolve(dir), e.file)]));
}

/**
 * Reads every file of the current save in `dir`, checking size and sha256. A save running
 * concurrently may delete the files of the manifest just read; then the manifest is re-read.
 */
export async function readDirAtomic(dir: string, op = 'readDirAtomic'): Promise<Map<string, Buffer>> {
  await checkDirExists(dir, op);
  for (let attempt = 0; ; attempt++) {
    const m = await readManifest(dir, op);
    if (!m) throw noManifest(dir, op);
    const out = new Map<string, Buffer>();
    try {
      for (const [name, e] of Object.entries(m.files)) {
        const bytes = await fsp.readFile(path.join(dir, e.file));
        if (bytes.byteLength !== e.size) {
          throw new Error(
            `${op}(${dir}): corrupt save: ${path.join(dir, e.file)} ('${name}') is corrupt: size check failed, ` +
              `${bytes.byteLength} bytes, ${MANIFEST_NAME} says ${e.size}`,
          );
        }
        const digest = createHash('sha256').update(bytes).digest('hex');
        if (digest !== e.sha256) {
          throw new Error(
            `${op}(${dir}): corrupt save: ${path.join(dir, e.file)} ('${name}') is corrupt: sha256 check failed, ` +
              `${digest}, ${MANIFEST_NAME} says ${e.sha256}`,
          );
        }
        out.set(name, bytes);
      }
      return out;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (attempt < 3) continue;
      throw new Error(`${op}(${dir}): corrupt save: ${path.join(dir, MANIFEST_NAME)} names a file that does not exist (${(e as Error).message})`);
    }
  }
}
