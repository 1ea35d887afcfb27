/**
 * Recording an outcome is tried up to this often (each try with the SDK's own retries), within this
 * time: a DynamoDB that fails fast gets every try, a frozen one no more than GitHub's 10 s allow.
 */
const RECORD_ATTEMPTS = 5;
const RECORD_BUDGET_MS = 2000;

/**
 * Writes how a delivery ended, retrying while the lease is ours: an applied delivery whose outcome is
 * not recorded is applied again on redelivery (a no-op, every effect being idempotent, but not "once").
 */
export async function recordOutcome(write: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RECORD_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (error) {
      if (attempt >= RECORD_ATTEMPTS || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
    }
  }
}
