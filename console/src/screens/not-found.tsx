/** Placeholder: filled by the console screens work. */
export function NotFound(_props: Record<string, unknown>) {
  return <h1>NotFound</h1>;
}
