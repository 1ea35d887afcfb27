import { jest } from '@jest/globals';

/** Captures what is written to stdout and stderr (Powertools writes there directly) until restored. */
export function captureOutput(): { text(): string; restore(): void } {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  return {
    text: () => lines.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
