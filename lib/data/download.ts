// Downloading dataset files into a cache directory, verified against published SHA-256 checksums.
//
// Each file is written to a hidden temporary file in the cache directory, flushed to disk (fsync),
// verified, and only then renamed to its final name; on any failure (HTTP error, dropped connection,
// checksum mismatch, abort) the temporary file is removed, and temporary files left by a process that
// was killed are removed by the next call. A file in the cache is therefore always complete and
// verified, and a present, verified file is never fetched again.

import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MNIST_STYLE_FILES } from './idx';

/** The four gzip-compressed files of an MNIST-style dataset (MNIST, Fashion-MNIST, KMNIST). */
export const MNIST_STYLE_GZ_FILES: readonly string[] = Object.freeze(Object.values(MNIST_STYLE_FILES).map((name) => `${name}.gz`));

export interface DownloadOptions {
  /** URL of the directory holding the files (http or https); file names are resolved against it. */
  baseUrl: string;
  /** File names to fetch (default: the four MNIST-style `.gz` files). */
  files?: readonly string[];
  /** Directory to keep the files in (created if missing). */
  cacheDir: string;
  /** The published SHA-256 (64 hex digits) of every file, by file name. Required: nothing unverified is kept. */
  checksums: Readonly<Record<string, string>>;
  /** Cancels the download; the partial file is removed. */
  signal?: AbortSignal;
}

export interface DownloadResult {
  /** The cache directory. */
  dir: string;
  /** Absolute path of each file, by file name. */
  paths: Record<string, string>;
  /** Names fetched over the network by this call. */
  downloaded: string[];
  /** Names found, already verified, in the cache. */
  cached: string[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function validateOptions(options: DownloadOptions): { base: URL; files: string[]; checksums: Map<string, string> } {
  if (options === null || typeof options !== 'object') throw new TypeError('download: options must be an object');
  if (typeof options.baseUrl !== 'string') throw new TypeError(`download: baseUrl must be a string, received ${typeof options.baseUrl}`);
  let base: URL;
  try {
    base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  } catch {
    throw new TypeError(`download: baseUrl is not a valid URL: ${JSON.stringify(options.baseUrl)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`download: baseUrl must use http or https, received ${base.protocol}`);
  }
  if (typeof options.cacheDir !== 'string' || options.cacheDir.length === 0) {
    throw new TypeError('download: cacheDir must be a non-empty string');
  }
  const files = [...(options.files ?? MNIST_STYLE_GZ_FILES)];
  if (files.length === 0) throw new RangeError('download: files is empty');
  for (const name of files) {
    if (typeof name !== 'string' || name.length === 0 || name === '.' || name === '..' || /[\\/]/.test(name) || name.startsWith('.')) {
      throw new TypeError(`download: file names must be plain names without directories, received ${JSON.stringify(name)}`);
    }
  }
  if (options.checksums === null || typeof options.checksums !== 'object') {
    throw new TypeError('download: checksums must map each file name to its published SHA-256');
  }
  const checksums = new Map<string, string>();
  for (const name of files) {
    const sum = options.checksums[name];
    if (typeof sum !== 'string' || !SHA256_HEX.test(sum.toLowerCase())) {
      throw new TypeError(`download: checksums[${JSON.stringify(name)}] must be a SHA-256 of 64 hex digits, received ${JSON.stringify(sum)}`);
    }
    checksums.set(name, sum.toLowerCase());
  }
  return { base, files, checksums };
}

/**
 * Fetches `files` from `baseUrl` into `cacheDir`, verifying each against `checksums`. Files already in
 * the cache with the right checksum are not fetched; a cached file with a wrong checksum is replaced.
 */
export async function download(options: DownloadOptions): Promise<DownloadResult> {
  const { base, files, checksums } = validateOptions(options);
  const dir = path.resolve(options.cacheDir);
  await fs.promises.mkdir(dir, { recursive: true });
  await removeStalePartials(dir, files);
  const result: DownloadResult = { dir, paths: {}, downloaded: [], cached: [] };
  for (const name of files) {
    const target = path.join(dir, name);
    const expected = checksums.get(name)!;
    if (fs.existsSync(target) && (await sha256OfFile(target)) === expected) {
      result.cached.push(name);
    } else {
      await fetchVerified(new URL(encodeURIComponent(name), base), target, expected, options.signal);
      result.downloaded.push(name);
    }
    result.paths[name] = target;
  }
  return result;
}

// Temporary files are named `.<file>.<pid>.<random>.partial`.
const PARTIAL = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.partial$/;

function partialName(name: string): string {
  return `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

// Removes the temporary files of downloads whose process died (killed before it could clean up);
// those of live processes, possibly downloading right now, are left alone.
async function removeStalePartials(dir: string, files: readonly string[]): Promise<void> {
  const wanted = new Set(files);
  for (const entry of await fs.promises.readdir(dir)) {
    const match = PARTIAL.exec(entry);
    if (match && wanted.has(match[1]) && !processAlive(Number(match[2]))) {
      await fs.promises.rm(path.join(dir, entry), { force: true });
    }
  }
}

async function fetchVerified(url: URL, target: string, expectedSha256: string, signal: AbortSignal | undefined): Promise<void> {
  const temp = path.join(path.dirname(target), partialName(path.basename(target)));
  const handle = await fs.promises.open(temp, 'wx');
  let closed = false;
  try {
    let response: Response;
    try {
      // identity: the bytes on disk must be the published ones, not a transparently decoded body.
      response = await fetch(url, { signal, redirect: 'follow', headers: { 'accept-encoding': 'identity' } });
    } catch (err) {
      throw new Error(`download: ${url.href}: request failed: ${errorText(err)}`);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`download: ${url.href}: server answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    const hash = createHash('sha256');
    let received = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        received += chunk.length;
        let written = 0;
        while (written < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
          written += bytesWritten;
        }
      }
    } catch (err) {
      throw new Error(`download: ${url.href}: transfer interrupted after ${received} bytes: ${errorText(err)}`);
    }
    const declared = response.headers.get('content-length');
    if (declared !== null && response.headers.get('content-encoding') === null && Number(declared) !== received) {
      throw new Error(`download: ${url.href}: received ${received} bytes, the server declared ${declared}`);
    }
    await handle.sync();
    await handle.close();
    closed = true;
    const actual = hash.digest('hex');
    if (actual !== expectedSha256) {
      throw new Error(
        `download: ${url.href}: SHA-256 mismatch: expected ${expectedSha256}, received ${actual} (${received} bytes); the file was discarded`,
      );
    }
    await fs.promises.rename(temp, target);
    await syncDirectory(path.dirname(target));
  } catch (err) {
    if (!closed) await handle.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
}

// Makes the rename itself durable; not every platform can open a directory, so failures are ignored.
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
