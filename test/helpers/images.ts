// Independent checks of rendered figures: a small well-formedness parser for SVG (XML) and a PNG
// reader that verifies the chunk CRCs and inflates the image data.
import * as zlib from 'zlib';

export interface SvgInfo {
  root: string;
  width: number;
  height: number;
  /** Text content of every <text> element, entities decoded. */
  texts: string[];
  elements: number;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decode(s: string): string {
  const bare = /&(?!#x[0-9a-fA-F]+;|#[0-9]+;|[a-z]+;)/.exec(s);
  if (bare) throw new Error(`bare '&' in ${JSON.stringify(s.slice(Math.max(0, bare.index - 10), bare.index + 10))}`);
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    if (!(e in entities)) throw new Error(`unknown entity ${m}`);
    return entities[e];
  });
}

/** Parses `text` as XML far enough to prove it well-formed; throws with the offset otherwise. */
export function parseSvg(text: string): SvgInfo {
  if (!text.startsWith('<svg')) throw new Error(`SVG must start with <svg, starts with ${JSON.stringify(text.slice(0, 20))}`);
  const stack: string[] = [];
  const texts: string[] = [];
  let root = '';
  let width = NaN;
  let height = NaN;
  let elements = 0;
  let textDepth = -1;
  let current = '';
  let i = 0;
  const tagRe = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (chunk.trim() && stack.length === 0) throw new Error(`text outside the root element at ${i}`);
    if (chunk.includes('>')) throw new Error(`stray '>' at ${i + chunk.indexOf('>')}`);
    decode(chunk);
    if (textDepth >= 0) current += decode(chunk);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end < 0) throw new Error(`unterminated comment at ${lt}`);
      i = end + 3;
      continue;
    }
    tagRe.lastIndex = lt;
    const m = tagRe.exec(text);
    if (!m) throw new Error(`malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 40))}`);
    const [whole, closing, name, attrs, selfClosing] = m;
    if (closing) {
      if (attrs.trim() || selfClosing) throw new Error(`malformed closing tag at ${lt}`);
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> at ${lt} closes <${open}>`);
      if (stack.length === textDepth) {
        texts.push(current);
        textDepth = -1;
      }
    } else {
      elements++;
      const seen = new Set<string>();
      for (const a of attrs.matchAll(/([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')/g)) {
        if (seen.has(a[1])) throw new Error(`duplicate attribute ${a[1]} on <${name}> at ${lt}`);
        seen.add(a[1]);
        decode(a[2].slice(1, -1));
      }
      if (!root) {
        if (stack.length) throw new Error('no root');
        root = name;
        width = Number(/\swidth="([\d.]+)"/.exec(attrs)?.[1]);
        height = Number(/\sheight="([\d.]+)"/.exec(attrs)?.[1]);
      } else if (stack.length === 0) throw new Error(`second root element <${name}> at ${lt}`);
      if (!selfClosing) {
        if (name === 'text' && textDepth < 0) {
          textDepth = stack.length;
          current = '';
        }
        stack.push(name);
      }
    }
    i = lt + whole.length;
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  return { root, width, height, texts, elements };
}

export interface PngInfo {
  width: number;
  height: number;
  colorType: number;
  /** Fraction of pixels that are not (near) white. */
  inkFraction: number;
}

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** Reads an 8-bit RGB/RGBA PNG: checks signature, chunk CRCs, IHDR, and inflates the pixels. */
export function parsePng(bytes: Uint8Array): PngInfo {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error('not a PNG: bad signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (off < bytes.length) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    const body = bytes.subarray(off + 8, off + 8 + len);
    if (crc32(bytes.subarray(off + 4, off + 8 + len)) !== view.getUint32(off + 8 + len)) throw new Error(`bad CRC in chunk ${type}`);
    if (off === 8 && type !== 'IHDR') throw new Error('first chunk is not IHDR');
    if (type === 'IHDR') {
      width = view.getUint32(off + 8);
      height = view.getUint32(off + 12);
      if (body[8] !== 8) throw new Error(`bit depth ${body[8]}, expected 8`);
      colorType = body[9];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    off += 12 + len;
  }
  if (!sawEnd) throw new Error('no IEND chunk');
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`colour type ${colorType} not handled by this reader`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (1 + stride)) throw new Error(`image data holds ${raw.length} bytes, expected ${height * (1 + stride)}`);
  // Undo the per-row filters to count non-white pixels.
  const prev = new Uint8Array(stride);
  const row = new Uint8Array(stride);
  let ink = 0;
  for (let y = 0; y < height; y++) {
    const f = raw[y * (1 + stride)];
    const src = raw.subarray(y * (1 + stride) + 1, (y + 1) * (1 + stride));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = prev[x];
      const c = x >= channels ? prev[x - channels] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new Error(`unknown filter ${f} in row ${y}`);
      row[x] = (src[x] + pred) & 0xff;
    }
    for (let x = 0; x < width; x++) if (row[x * channels] < 200 || row[x * channels + 1] < 200 || row[x * channels + 2] < 200) ink++;
    prev.set(row);
  }
  return { width, height, colorType, inkFraction: ink / (width * height) };
}
