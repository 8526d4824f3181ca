// Placeholder until the plotting module lands (helper/exp).
export async function plotLines(_spec: unknown, _file: string): Promise<void> {
  throw new Error('plotting is not available yet');
}
