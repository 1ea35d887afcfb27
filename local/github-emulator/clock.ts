/**
 * The emulator's clock: real time plus an offset that `POST /_emulator/clock` advances. Every expiry the
 * emulator hands out (codes, user tokens, refresh tokens, installation tokens) follows it, and so does
 * the `Date` header clients use to compute expiry timestamps. App JWTs are checked against real time,
 * because clients mint them from their own clock.
 */
export class EmulatorClock {
  private offsetMs = 0;

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  iso(offsetSeconds = 0): string {
    return new Date(this.nowMs() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
