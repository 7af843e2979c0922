/**
 * Captures what the process writes to stdout and stderr (where the structured logger writes), so tests
 * can count `auth.rejected` lines and search every line for secrets.
 */
export class LogCapture {
  readonly lines: string[] = [];
  private originals?: { out: typeof process.stdout.write; err: typeof process.stderr.write };

  start(): this {
    if (this.originals) return this;
    this.originals = { out: process.stdout.write, err: process.stderr.write };
    const capture = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const line of text.split('\n')) if (line.trim()) this.lines.push(line);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    return this;
  }

  stop(): void {
    if (this.originals) {
      process.stdout.write = this.originals.out;
      process.stderr.write = this.originals.err;
    }
    this.originals = undefined;
  }

  clear(): void {
    this.lines.length = 0;
  }

  /** Parsed JSON lines (others skipped). */
  json(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.lines) {
      try {
        const parsed = JSON.parse(line) as unknown;
        if (parsed && typeof parsed === 'object') out.push(parsed as Record<string, unknown>);
      } catch {
        // not a structured line
      }
    }
    return out;
  }

  events(name: string): Record<string, unknown>[] {
    return this.json().filter((l) => l.event === name);
  }
}
