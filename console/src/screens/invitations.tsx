/** Placeholder: filled by the console screens work. */
export function MyInvitations(_props: Record<string, unknown>) {
  return <h1>MyInvitations</h1>;
}
