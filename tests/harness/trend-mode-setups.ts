import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import { PrometheusServer } from "./prometheus";

/**
 * One setup per trend mode, each with its own Prometheus, started at the same time (both modes
 * side by side halve an integration suite's wall time), and stopped together.
 */
export class TrendModeSetups<S extends { readonly prom: PrometheusServer }> {
  private readonly setups = new Map<TrendMode, Promise<S>>();

  /** Starts `setUp` for every trend mode; each mode's tests await theirs with {@link get}. */
  start(setUp: (mode: TrendMode) => Promise<S>): void {
    for (const mode of TREND_MODES) {
      const setup = setUp(mode);
      // Awaited by the mode's own tests; this only keeps an early failure from being "unhandled".
      setup.catch(() => undefined);
      this.setups.set(mode, setup);
    }
  }

  /** The mode's setup, as started. */
  get(mode: TrendMode): Promise<S> | undefined {
    return this.setups.get(mode);
  }

  /** Stops every started Prometheus and removes its data directory (also after a failed setup). */
  async stop(): Promise<void> {
    for (const setup of this.setups.values()) {
      const s = await setup.catch(() => undefined);
      await s?.prom.stop();
      s?.prom.removeWorkDir();
    }
  }
}
