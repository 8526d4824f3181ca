// gradwell datasets: loaders, synthetic sets, splitting and standardisation.
export { createDataset, selectSamples, classCounts } from './dataset';
export type { Dataset, DatasetInit } from './dataset';
export {
  decodeIdx,
  IdxDecoder,
  encodeIdx,
  readIdxFile,
  writeIdxFile,
  readIdxImagesAndLabels,
  loadIdxDirectory,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  MNIST_STYLE_FILES,
} from './idx';
export type { IdxArray, IdxReadOptions, IdxPairOptions, TrainTest } from './idx';
export { fashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DEBIAN_DIR } from './fashion-mnist';
export { mnist, kmnist, mnistEmbedded, MNIST_CLASSES, KMNIST_CLASSES } from './mnist';
export type { MnistEmbeddedOptions } from './mnist';
export { download, MNIST_STYLE_GZ_FILES } from './download';
export type { DownloadOptions, DownloadResult } from './download';
export { readCsv, parseCsv } from './csv';
export type { CsvOptions, CsvDataset } from './csv';
export { spirals, moons } from './synthetic';
export type { TwoClassOptions, SpiralOptions, PointDataset } from './synthetic';
export { trainValTestSplit, apportion } from './split';
export type { SplitOptions, Splits } from './split';
export { Standardizer } from './standardize';
export type { StandardizerState } from './standardize';
