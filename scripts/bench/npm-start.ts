/** Warm p99 on `npm start` as users run it: placeholder, filled in below. */
export async function benchNpmStart(_root: string): Promise<void> {}
