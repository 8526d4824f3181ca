// gradwell: the public API.
export { backend, setNumThreads, getNumThreads, setMaxIsa } from './backend';
export type { BackendInfo } from './backend';
export { Tensor, shapeSize, formatShape } from './tensor';
export type { Shape } from './tensor';
export * as kernels from './kernels';

export { Sequential } from './model';
export type { CompileOptions, FitOptions, InferenceOptions, History, Inputs, Targets, LayerDiagnostics } from './model';
export { loadModel } from './io/model-io';
export type { StateDictLayout, StateDictOptions, StateTensor, StateDictInput } from './io/torch';
export type { OnnxExportOptions } from './onnx/export';
export { ONNX_OPSETS } from './onnx/export';
export { diagnose } from './diagnostics';
export type { Diagnosis } from './diagnostics';

export { Layer, Dense, Activation, Dropout, Flatten, BatchNorm, LayerNorm, GroupNorm, InstanceNorm } from './layers';
export { Reshape, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePooling2D, SpatialDropout2D, StochasticPool2D } from './layers';
export type { ReshapeOptions, Conv2DOptions, Pool2DOptions, AvgPool2DOptions } from './layers';
export type { DenseOptions, ActivationName, ActivationOptions, BatchNormOptions, GroupNormOptions, Param } from './layers';
export * as layers from './layers';

export {
  Optimizer,
  SGD,
  Adagrad,
  RMSprop,
  Adam,
  AdamW,
  Adamax,
  Adadelta,
  getOptimizer,
} from './optimizers';
export type { OptimizerName, SGDOptions, AdagradOptions, RMSpropOptions, AdamOptions, AdamaxOptions, AdadeltaOptions } from './optimizers';
export {
  Loss,
  MeanSquaredError,
  MeanAbsoluteError,
  Huber,
  BinaryCrossentropy,
  BinaryCrossentropyFromLogits,
  CategoricalCrossentropy,
  SparseCategoricalCrossentropy,
  getLoss,
} from './losses';
export type { LossName } from './losses';
export { getMetric } from './metrics';
export type { Metric, MetricName } from './metrics';
export { Regularizer, regularizers } from './regularizers';
export * as initializers from './initializers';
export { getInitializer } from './initializers';
export * as schedules from './schedules';
export { Random } from './random';
export type { RandomState, Seed } from './random';
export {
  Callback,
  LambdaCallback,
  EarlyStopping,
  LearningRateScheduler,
  ReduceLROnPlateau,
  ModelCheckpoint,
} from './callbacks';
export type { Logs, CallbackHooks, EarlyStoppingOptions, ReduceLROnPlateauOptions, ModelCheckpointOptions } from './callbacks';
export { AbortError, NonFiniteError } from './errors';
export * as io from './io/safetensors';

export * as datasets from './data';
export {
  createDataset,
  fashionMnist,
  mnist,
  kmnist,
  mnistEmbedded,
  spirals,
  moons,
  readCsv,
  parseCsv,
  download,
  trainValTestSplit,
  Standardizer,
  readIdxFile,
  writeIdxFile,
} from './data';
export type { Dataset, TrainTest, Splits, CsvDataset } from './data';
export * as plot from './plot';
export { plotLines } from './plot';
export * as distributed from './distributed';
