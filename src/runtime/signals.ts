// Stopping a process: SIGTERM (Kubernetes, systemd) or SIGINT (Ctrl-C) asks for a clean stop.

/**
 * Resolves at the first SIGTERM or SIGINT from this call on, which then no longer ends the process:
 * call it as soon as a stop must flush and detach instead of killing.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
}
