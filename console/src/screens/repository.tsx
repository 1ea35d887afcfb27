/** Placeholder: filled by the console screens work. */
export function RepositoryView(_props: Record<string, unknown>) {
  return <h1>RepositoryView</h1>;
}
