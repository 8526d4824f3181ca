"""onnx.checker.check_model (with full_check: shape inference too) on every file named in the
JSON list argv[1], for test/onnx-export.test.ts. Prints {file: "ok" | the error}."""
import json
import sys

import onnx

out = {}
for f in json.load(open(sys.argv[1])):
    try:
        onnx.checker.check_model(onnx.load(f), full_check=True)
        out[f] = 'ok'
    except Exception as e:  # noqa: BLE001 - reported per file
        out[f] = f'{type(e).__name__}: {e}'
print(json.dumps(out))
