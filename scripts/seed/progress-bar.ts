/**
 * A one-line progress bar on stderr, redrawn in place with `\r` on a terminal; when stderr is not a
 * terminal (CI logs, a pipe) it prints a plain line every few seconds instead so logs stay readable.
 */

export interface ProgressBar {
  /** `done` items so far; `fraction` of the whole (0..1) when known, for the bar, % and ETA. */
  update(done: number, fraction: number | undefined): void;
  /** Draw the final state and end the line. */
  finish(done: number): void;
}

const WIDTH = 28;

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function renderBar(label: string, done: number, fraction: number | undefined, elapsedMs: number, unit: string): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const f = fraction === undefined ? undefined : Math.min(1, Math.max(0, fraction));
  const filled = f === undefined ? 0 : Math.round(f * WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  const pct = f === undefined ? '  ?%' : `${String(Math.floor(f * 100)).padStart(3)}%`;
  const eta = f !== undefined && f > 0 ? formatDuration((elapsedMs * (1 - f)) / f) : '--:--';
  return `${label} ${bar} ${pct} ${done.toLocaleString('en-US')} ${unit}  ${Math.round(rate).toLocaleString('en-US')}/s  ETA ${eta}`;
}

export function progressBar(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const started = Date.now();
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let lastDone = -1;
  const draw = (done: number, fraction: number | undefined, final: boolean): void => {
    const now = Date.now();
    if (!final && now - lastDraw < (tty ? 150 : 5000)) return;
    // In a log, the final line would repeat the last one when nothing moved since.
    if (final && !tty && done === lastDone) return;
    lastDraw = now;
    lastDone = done;
    const line = renderBar(label, done, fraction, now - started, unit);
    if (tty) stream.write(`\r${line}\u001b[K${final ? '\n' : ''}`);
    else stream.write(`${line}\n`);
  };
  return {
    update: (done, fraction) => draw(done, fraction, false),
    finish: (done) => draw(done, 1, true),
  };
}
