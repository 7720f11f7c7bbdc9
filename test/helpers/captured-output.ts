import { vi } from 'vitest';

/** A JSON line the Powertools logger or metrics wrote to stdout. */
export type OutputLine = Record<string, unknown>;

/**
 * Collects the JSON lines written to stdout and stderr (Powertools log lines and EMF metric lines) while
 * `run` runs, and keeps them off the test output. Lines that are not JSON pass through.
 */
export async function capturingOutput<T>(run: () => Promise<T>): Promise<{ result: T; lines: OutputLine[] }> {
  const lines: OutputLine[] = [];
  // Powertools writes ERROR and WARN lines to stderr, the rest (and EMF) to stdout.
  const spies = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    return vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      let taken = false;
      for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
        try {
          lines.push(JSON.parse(line) as OutputLine);
          taken = true;
        } catch {
          // not ours
        }
      }
      return taken ? true : write(chunk, ...(rest as []));
    });
  });
  try {
    return { result: await run(), lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The log lines with this message. */
export const logged = (lines: OutputLine[], message: string): OutputLine[] => lines.filter((l) => l.message === message);

/** The sum of one metric over the EMF lines. */
export const metricSum = (lines: OutputLine[], name: string): number =>
  lines.filter((l) => '_aws' in l && typeof l[name] === 'number').reduce((sum, l) => sum + (l[name] as number), 0);

/** Whether a failed run is rejected: its error, or undefined when it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<Error | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
