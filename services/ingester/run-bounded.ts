// Short child processes with a time limit and an output cap, and the gist of what ffmpeg said on stderr.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  failure?: string;
  /** The command could not be started at all (not installed): not the input's fault. */
  notStarted?: boolean;
}

/** Runs a short command with a time limit and a cap on its output. */
export function runBounded(command: string, args: readonly string[], timeoutMs: number, maxOutput: number, stderrChars = 4096): Promise<RunResult> {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    let failure: string | undefined;
    const kill = (why: string): void => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`${command} took longer than ${timeoutMs} ms`), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (t: string) => {
      stdout += t;
      if (stdout.length > maxOutput) kill(`${command} wrote more than ${maxOutput} characters`);
    });
    child.stderr.on('data', (t: string) => {
      stderr = (stderr + t).slice(-stderrChars);
    });
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      clearTimeout(timer);
      done({ code: null, stdout, stderr, failure: `cannot run ${command}: ${err.message}`, notStarted: true });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ...(failure === undefined ? {} : { failure }) });
    });
  });
}

/**
 * The gist of ffmpeg's stderr: its last distinct lines without the `[demuxer @ 0x…]` and
 * `file:/path:` prefixes (the file is named by the caller already).
 */
export function stderrGist(text: string, lines = 2): string {
  const seen: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').replace(/^file:[^:]*:\s*/, '').trim();
    if (line === '') continue;
    const at = seen.indexOf(line);
    if (at >= 0) seen.splice(at, 1);
    seen.push(line);
  }
  return seen.slice(-lines).join('; ') || 'no message from ffmpeg';
}
