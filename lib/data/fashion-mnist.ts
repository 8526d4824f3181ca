// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 70,000 28×28 grey images of clothing in 10 classes.

import { loadIdxDirectory, type TrainTest } from './idx';

/** Where the Debian package `dataset-fashion-mnist` installs the four files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/**
 * Loads Fashion-MNIST (60,000 training and 10,000 test images) from `dir`, by default the Debian
 * package's directory. Images stay Uint8 (scale 1/255), labels Int32.
 */
export async function fashionMnist(options: { dir?: string } = {}): Promise<TrainTest> {
  const dir = options.dir ?? FASHION_MNIST_DEBIAN_DIR;
  const hint =
    options.dir === undefined
      ? 'Install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or pass { dir } naming a directory that holds the four IDX files.'
      : 'Pass { dir } naming a directory that holds the four Fashion-MNIST IDX files (the Debian package dataset-fashion-mnist installs them in ' +
        `${FASHION_MNIST_DEBIAN_DIR}).`;
  return loadIdxDirectory(dir, 'fashionMnist', hint, { numClasses: 10, classNames: FASHION_MNIST_CLASSES });
}
