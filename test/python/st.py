"""A minimal safetensors reader/writer for torch tensors (Debian has no python3-safetensors;
with `pip install safetensors`, safetensors.torch.load_file/save_file do the same)."""
import json
import struct

import torch

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32}
NAMES = {v: k for k, v in DTYPES.items()}


def load_file(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        buf = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(buf, dtype=DTYPES[info['dtype']]) if buf else torch.empty(0, dtype=DTYPES[info['dtype']])
        out[name] = t.reshape(info['shape']).clone()
    return out


def save_file(tensors, path, metadata=None):
    header = {'__metadata__': metadata} if metadata else {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {'dtype': NAMES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
