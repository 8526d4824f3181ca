import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download, MNIST_STYLE_GZ_FILES } from '../lib/data';

// A local server: /ok/<name> serves the file, /missing/* answers 404, /broken/* 500, /cut/<name>
// promises the full length, sends half and destroys the socket, /slow/<name> sends half and stalls.
const contents = new Map<string, Buffer>();
MNIST_STYLE_GZ_FILES.forEach((name, i) => contents.set(name, Buffer.from(`content of ${name} `.repeat(2000 + i * 100))));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const checksums = Object.fromEntries([...contents].map(([name, bytes]) => [name, sha256(bytes)]));

let server: http.Server;
let base: string;
const requests: string[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-dl-'));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, mode, name] = (req.url ?? '').split('/');
    const body = contents.get(decodeURIComponent(name ?? ''));
    if (mode === 'missing' || body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    } else if (mode === 'broken') {
      res.writeHead(500).end('oops');
    } else if (mode === 'cut' || mode === 'slow') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, body.length >> 1), () => {
        if (mode === 'cut') setTimeout(() => req.socket.destroy(), 20);
      });
    } else {
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
});

let caseNumber = 0;
const freshDir = (): string => path.join(tmp, `cache-${caseNumber++}`);
const listDir = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

describe('download', () => {
  it('fetches, verifies and caches the four files; a second call makes no request', async () => {
    const cacheDir = freshDir();
    const first = await download({ baseUrl: `${base}/ok/`, cacheDir, checksums });
    expect(first.downloaded).toEqual([...MNIST_STYLE_GZ_FILES]);
    expect(first.cached).toEqual([]);
    expect(requests).toHaveLength(4);
    for (const [name, bytes] of contents) {
      expect(first.paths[name]).toBe(path.join(path.resolve(cacheDir), name));
      expect(fs.readFileSync(first.paths[name]).equals(bytes)).toBe(true);
    }
    expect(listDir(cacheDir)).toEqual([...MNIST_STYLE_GZ_FILES].sort()); // no temporary files left

    requests.length = 0;
    const second = await download({ baseUrl: `${base}/ok`, cacheDir, checksums }); // no trailing slash: same files
    expect(requests).toEqual([]);
    expect(second.cached).toEqual([...MNIST_STYLE_GZ_FILES]);
    expect(second.downloaded).toEqual([]);
  });

  it('replaces a cached file whose checksum is wrong', async () => {
    const cacheDir = freshDir();
    const name = MNIST_STYLE_GZ_FILES[0];
    fs.mkdirSync(cacheDir);
    fs.writeFileSync(path.join(cacheDir, name), 'corrupted');
    const result = await download({ baseUrl: `${base}/ok/`, files: [name], cacheDir, checksums });
    expect(result.downloaded).toEqual([name]);
    expect(requests).toEqual([`/ok/${name}`]);
    expect(fs.readFileSync(path.join(cacheDir, name)).equals(contents.get(name)!)).toBe(true);
  });

  it('discards a file whose SHA-256 does not match', async () => {
    const cacheDir = freshDir();
    const name = MNIST_STYLE_GZ_FILES[1];
    const wrong = { [name]: 'ab'.repeat(32) };
    await expect(download({ baseUrl: `${base}/ok/`, files: [name], cacheDir, checksums: wrong })).rejects.toThrow(
      `download: ${base}/ok/${name}: SHA-256 mismatch: expected ${'ab'.repeat(32)}, received ${checksums[name]} (${contents.get(name)!.length} bytes); the file was discarded`,
    );
    expect(listDir(cacheDir)).toEqual([]);
  });

  it('reports HTTP 404 and 500 with the URL and leaves nothing behind', async () => {
    const cacheDir = freshDir();
    const name = MNIST_STYLE_GZ_FILES[2];
    await expect(download({ baseUrl: `${base}/missing/`, files: [name], cacheDir, checksums })).rejects.toThrow(
      `download: ${base}/missing/${name}: server answered HTTP 404 Not Found`,
    );
    await expect(download({ baseUrl: `${base}/broken/`, files: [name], cacheDir, checksums })).rejects.toThrow(
      `download: ${base}/broken/${name}: server answered HTTP 500 Internal Server Error`,
    );
    expect(listDir(cacheDir)).toEqual([]);
  });

  it('reports a connection dropped mid-body and removes the partial file', async () => {
    const cacheDir = freshDir();
    const name = MNIST_STYLE_GZ_FILES[3];
    await expect(download({ baseUrl: `${base}/cut/`, files: [name], cacheDir, checksums })).rejects.toThrow(
      new RegExp(`^download: ${base}/cut/${name.replace(/\./g, '\\.')}: transfer interrupted after \\d+ bytes`),
    );
    expect(listDir(cacheDir)).toEqual([]);
  });

  it('stops on abort and removes the partial file', async () => {
    const cacheDir = freshDir();
    const name = MNIST_STYLE_GZ_FILES[0];
    const controller = new AbortController();
    const pending = download({ baseUrl: `${base}/slow/`, files: [name], cacheDir, checksums, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow(/^download: .*slow.*(interrupted|request failed)/);
    expect(listDir(cacheDir)).toEqual([]);
  });

  it('removes temporary files left by a killed download, not those of live processes', async () => {
    const cacheDir = freshDir();
    const name = MNIST_STYLE_GZ_FILES[0];
    fs.mkdirSync(cacheDir);
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: no such process now
    const stale = `.${name}.${deadPid}.0123456789ab.partial`;
    const live = `.${name}.${process.pid}.ba9876543210.partial`;
    fs.writeFileSync(path.join(cacheDir, stale), 'half');
    fs.writeFileSync(path.join(cacheDir, live), 'in progress');
    await download({ baseUrl: `${base}/ok/`, files: [name], cacheDir, checksums });
    expect(listDir(cacheDir)).toEqual([live, name].sort());
  });

  it('checks its arguments before any request', async () => {
    const cacheDir = freshDir();
    await expect(download({ baseUrl: `${base}/ok/`, cacheDir, checksums: {} })).rejects.toThrow(
      `download: checksums["${MNIST_STYLE_GZ_FILES[0]}"] must be a SHA-256 of 64 hex digits, received undefined`,
    );
    await expect(download({ baseUrl: 'ftp://example.org/', cacheDir, checksums })).rejects.toThrow('download: baseUrl must use http or https, received ftp:');
    await expect(download({ baseUrl: `${base}/ok/`, files: ['../escape'], cacheDir, checksums })).rejects.toThrow(/plain names without directories/);
    expect(requests).toEqual([]);
  });
});
