/** Placeholder: filled by the console screens work. */
export function Members(_props: Record<string, unknown>) {
  return <h1>Members</h1>;
}
