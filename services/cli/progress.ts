// A progress bar on stderr for long CLI work; plain periodic lines when stderr is not a terminal.

export interface ProgressBar {
  /** `phase` names the kind of work; without a terminal a line is printed per 10 % or per new phase. */
  update(fraction: number, label: string, phase?: string): void;
  done(label: string): void;
}

export function createProgressBar(title: string, stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressBar {
  const tty = stream.isTTY === true;
  let lastPrinted = -1;
  let lastPhase: string | undefined;
  const width = 30;
  return {
    update(fraction, label, phase) {
      if (quiet) return;
      const f = Math.max(0, Math.min(1, fraction));
      const pct = Math.floor(f * 100);
      if (tty) {
        const filled = Math.round(f * width);
        stream.write(`\r${title} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${label}\x1b[K`);
      } else if (pct >= lastPrinted + 10 || phase !== lastPhase) {
        // Without a terminal, a line every 10 % (or on a new phase) keeps logs short.
        stream.write(`${title}: ${pct}% ${label}\n`);
        lastPrinted = pct;
      }
      lastPhase = phase;
    },
    done(label) {
      if (quiet) return;
      stream.write(tty ? `\r${title} [${'#'.repeat(width)}] 100% ${label}\x1b[K\n` : `${title}: 100% ${label}\n`);
    },
  };
}
