/**
 * The wall-clock bound of one command. `limits.max_wall_s` bounds a whole command (every
 * replication, every sweep point), not each run alone: with a per-run bound, `--replications 1e9`
 * of a quick scenario would run for years. The CLI marks the command's start; each scenario it
 * validates bounds it (boundCommand); each run gets what is left, and no further replication
 * starts once it is spent. The deadline is an absolute time (Date.now() based) so worker threads,
 * which share the process's clock but not its modules' state, can be handed the same one. Outside
 * a command nothing is bounded here (a library caller or a test keeps the per-run bound alone).
 */
let deadline_epoch_ms = Infinity;
/** When the command began (epoch ms), or undefined outside a command (a library caller, a test). */
let commandStart_epoch_ms: number | undefined;

/** Marks the start of a command (the CLI, before it parses anything): its clock runs from here. */
export function markCommandStart(): void {
  commandStart_epoch_ms = Date.now();
  deadline_epoch_ms = Infinity;
}

/** Ends the command's clock (main may run again in this process, or library calls follow). */
export function endCommand(): void {
  commandStart_epoch_ms = undefined;
  deadline_epoch_ms = Infinity;
}

/**
 * Bounds the command by a scenario's `limits.max_wall_s`, counted from the command's start; every
 * scenario a command validates calls it, and the smallest bound holds. Outside a command: nothing.
 */
export function boundCommand(max_wall_s: number): void {
  if (commandStart_epoch_ms === undefined) return;
  deadline_epoch_ms = Math.min(deadline_epoch_ms, commandStart_epoch_ms + max_wall_s * 1000);
}

/** The command's deadline (epoch ms; Infinity when no clock was started): handed to worker threads. */
export function commandDeadline(): number {
  return deadline_epoch_ms;
}

/** Adopts a deadline handed over by the thread that started the command (worker threads). */
export function adoptCommandDeadline(epoch_ms: number | undefined): void {
  deadline_epoch_ms = epoch_ms ?? Infinity;
}

/** Wall time left to the command (ms; Infinity without a clock; at most 0 once spent). */
export function commandWallLeft_ms(): number {
  return deadline_epoch_ms === Infinity ? Infinity : deadline_epoch_ms - Date.now();
}

/** True once the command's wall time is spent: no further replication or sweep point starts. */
export function commandWallSpent(): boolean {
  return commandWallLeft_ms() <= 0;
}
