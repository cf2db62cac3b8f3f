/** Stop signals for the long-running commands (worker, dashboard, demo, simulator). */

/**
 * Resolves with the first SIGINT or SIGTERM. The handlers stay installed afterwards, so that a
 * repeated signal is passed to `onRepeat` instead of killing the process while it cleans up.
 * A terminal's Ctrl+C often arrives twice: once from the terminal and once relayed by a wrapper
 * such as tsx.
 */
export function stopSignal(
  onRepeat: (signal: NodeJS.Signals) => void = () => undefined,
): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        onRepeat(signal);
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
