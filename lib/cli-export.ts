// `gradwell export <model dir>`: writes a saved model for other tools: an ONNX file
// (--onnx, --opset), a torch.nn.Sequential state dict as safetensors (--torch) and the
// Python code of that torch module (--torch-code).
import { InvalidArgumentError, type Command } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { loadModel } from './io/model-io';
import { ONNX_OPSETS } from './onnx/export';

export interface ExportOptions {
  onnx?: string;
  opset?: number;
  torch?: string;
  torchCode?: string;
}

export function addExportCommand(program: Command): void {
  const opset = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < ONNX_OPSETS.min || n > ONNX_OPSETS.max) throw new InvalidArgumentError(`expected an integer from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}`);
    return n;
  };
  program
    .command('export')
    .description('write a saved model (model.save, train --save) for other tools')
    .argument('<dir>', 'the saved model directory')
    .option('--onnx <file>', 'ONNX model in inference mode (run it with onnxruntime)')
    .option('--opset <n>', `ONNX opset, ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max} (default ${ONNX_OPSETS.default})`, opset)
    .option('--torch <file>', 'torch.nn.Sequential state dict as safetensors')
    .option('--torch-code <file>', 'Python code of that torch.nn.Sequential');
}

/** Runs `gradwell export`; resolves to the exit code (0 done, 1 failed, 2 usage error). */
export async function runExport(dir: string, opts: ExportOptions, out: { log: (s: string) => void; err: (s: string) => void }): Promise<number> {
  if (!opts.onnx && !opts.torch && !opts.torchCode) {
    out.err('gradwell export: nothing to write; give --onnx <file>, --torch <file> and/or --torch-code <file>');
    return 2;
  }
  if (opts.opset !== undefined && !opts.onnx) {
    out.err('gradwell export: --opset needs --onnx <file>');
    return 2;
  }
  try {
    const model = await loadModel(dir);
    for (const f of [opts.onnx, opts.torch, opts.torchCode]) if (f) fs.mkdirSync(path.dirname(path.resolve(f)), { recursive: true });
    if (opts.onnx) {
      await model.exportOnnx(opts.onnx, { opset: opts.opset });
      out.log(`wrote ${opts.onnx} (ONNX opset ${opts.opset ?? ONNX_OPSETS.default}, input 'input' [batch, ${model.inputShape!.join(', ')}], output 'output' [batch, ${model.outputShape!.join(', ')}])`);
    }
    if (opts.torch) {
      await model.saveStateDict(opts.torch, { layout: 'torch' });
      out.log(`wrote ${opts.torch} (torch.nn.Sequential state dict, ${model.stateDict().size} tensors)`);
    }
    if (opts.torchCode) {
      fs.writeFileSync(opts.torchCode, model.torchSequentialCode());
      out.log(`wrote ${opts.torchCode} (the torch.nn.Sequential)`);
    }
    return 0;
  } catch (e) {
    out.err(`gradwell export: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
